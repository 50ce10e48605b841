"""The one reader of command-line input: files where `-` means stdin, JSON arguments with `@path`, items,
`--env`/`--env-file` variables, and the run config a command renders.

Malformed flag syntax is a usage error (exit 2); a missing file is not found (exit 4); unreadable files,
text that is not UTF-8 and invalid JSON are invalid input (exit 3).

Every read is bounded while it reads: files, devices (`/dev/zero`), FIFOs, pipes and stdin alike are read in
chunks and refused as soon as they pass the cap (10 MiB, `STACKCTL_MAX_INPUT_BYTES` to change it), with exit
3 "input larger than N bytes"; a size reported by `stat` is never trusted, since devices and FIFOs have none.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

from stackctl.errors import InvalidInputError, NotFoundError, UsageError
from stackctl.files import MAX_INPUT_BYTES as MAX_BYTES
from stackctl.files import MAX_INPUT_VAR, read_bounded


def read_text(source: str) -> str:
    """The contents of a file, or of stdin for `-`; either must be UTF-8 text within the size limit."""
    data, _ = read_source(source, sys.stdin.buffer)
    name = "stdin" if source == "-" else source
    try:
        return data.decode("utf-8")
    except UnicodeError as exc:
        raise InvalidInputError(
            f"cannot read {name}: not UTF-8 text", hint="save it as UTF-8 (JSON and text input must be UTF-8)"
        ) from exc


def json_error(where: str, exc: ValueError | RecursionError) -> InvalidInputError:
    """What `json.loads` refused, as invalid input: text that is not JSON, and JSON the parser gives up on
    (nested deeper than it recurses, an integer of more digits than Python converts)."""
    if isinstance(exc, RecursionError):
        why = "nested too deeply"
    elif isinstance(exc, json.JSONDecodeError):
        why = str(exc)
    else:
        why = str(exc).split(";")[0]  # "Exceeds the limit (4300 digits) for integer string conversion..."
    return InvalidInputError(f"{where}: invalid JSON: {why}")


def parse_json(text: str, where: str) -> Any:
    """JSON text, parsed; anything `json_error` describes is invalid input (exit 3)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise json_error(where, exc) from None


def json_arg(value: str, option: str) -> Any:
    """A JSON argument, or the JSON in a file for `@path`."""
    text, where = (read_text(value[1:]), value[1:]) if value.startswith("@") else (value, option)
    return parse_json(text, where)


def json_documents(source: str) -> list[Any]:
    """A JSON array, a single JSON object, or JSON lines from a file or stdin."""
    text = read_text(source).strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        lines = enumerate(text.splitlines(), start=1)
        return [parse_json(line, f"{source}:{number}") for number, line in lines if line.strip()]
    except (ValueError, RecursionError) as exc:
        raise json_error(source, exc) from None
    return data if isinstance(data, list) else [data]


def input_limit() -> int:
    """The byte cap of every input: 10 MiB unless `STACKCTL_MAX_INPUT_BYTES` says otherwise."""
    text = os.environ.get(MAX_INPUT_VAR, "").strip()
    if not text:
        return MAX_BYTES
    if not text.isdigit() or int(text) < 1:
        raise InvalidInputError(
            f"{MAX_INPUT_VAR} must be a positive whole number of bytes, not {text!r}", code="invalid_env"
        )
    return int(text)


def read_source(name: str, stdin: BinaryIO) -> tuple[bytes, str]:
    """Read a file, device, FIFO or stdin (`-`), bounded while reading (see the module docstring)."""
    limit = input_limit()
    if name == "-":
        return read_bounded(stdin, "stdin", limit), "<stdin>"
    path = Path(name).expanduser()
    try:
        if path.is_dir():
            raise InvalidInputError(f"{name}: is a directory, not a file")
        size = path.stat().st_size  # a regular file says its size: one too large is refused unread
        if path.is_file() and size > limit:
            raise InvalidInputError(
                f"{name}: input larger than {limit:,} bytes (the file holds {size:,} bytes)",
                hint=f"give a smaller input, or raise the cap with {MAX_INPUT_VAR}",
                code="document_too_large",
            )
        with path.open("rb") as handle:
            return read_bounded(handle, name, limit), name
    except FileNotFoundError:
        raise NotFoundError(f"{name}: no such file", code="file_not_found") from None
    except PermissionError:
        raise InvalidInputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot read: {exc.strerror or exc}") from None


ROLES = ("user", "assistant", "system", "developer")


def collect_items(items: list[str] | None, items_file: str | None, messages: list[str] | None) -> list[Any]:
    """Items from --item, then --items-file, then --message, in that order."""
    collected = [json_arg(value, "--item") for value in items or ()]
    if items_file is not None:
        collected.extend(json_documents(items_file))
    for value in messages or ():
        role, sep, text = value.partition(":")
        if not sep or role not in ROLES:
            raise UsageError(
                f"--message expects ROLE:TEXT with ROLE one of {', '.join(ROLES)}, got {value!r}"
            )
        collected.append({"type": "message", "role": role, "content": text})
    return collected


def warn_in_process_list(what: str, instead: str) -> None:
    """The warning for a secret given as an argument: every user of the machine can read it (`ps`)."""
    verb = "are" if ", " in what else "is"
    sys.stderr.write(
        f"warning: {what} {verb} visible to every user of this machine in the process list\nhint: {instead}\n"
    )


def warn_db_password(location: str) -> None:
    """A `--db` URL with a password in it shows the password to every user of the machine (`ps`)."""
    from stackctl.userinfo import find_userinfo

    if any(info.parts(location)[1] for info in find_userinfo(location)):
        warn_in_process_list(
            "the password in --db",
            "set STACKCTL_DB in the environment instead, or keep the password out of the URL: "
            "PGPASSWORD or a libpq password file (~/.pgpass)",
        )


def build_env(env: list[str] | None, env_files: list[str] | None) -> dict[str, str]:
    """The process environment, overridden by --env-file files in order, then by --env values. An --env
    whose name looks secret (`*_KEY`, `*_TOKEN`, ...) warns, once, naming the variables (never a value)."""
    from stackctl.config.envfiles import parse_env_assignments, parse_env_file
    from stackctl.config.secrets import is_secret_variable
    from stackctl.text import refuse_bad_text

    merged = dict(os.environ)
    for name in env_files or []:
        data, source = read_source(name, sys.stdin.buffer)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # never replaced: a changed value would be rendered and stored
            line = data[: exc.start].count(b"\n") + 1
            raise InvalidInputError(
                f"{source}:{line}: not UTF-8 text", hint="save the env file as UTF-8", code="invalid_text"
            ) from None
        merged.update(parse_env_file(text, source, merged))
    given = parse_env_assignments(env or [])
    for key, value in given.items():  # bytes an argument held that are not UTF-8 (the value is not echoed)
        refuse_bad_text(key, "an --env name")
        refuse_bad_text(value, f"--env {key}")
    secret = [name for name in given if is_secret_variable(name)]
    if secret:
        warn_in_process_list(
            ", ".join(f"--env {name}" for name in secret),
            f"set {', '.join(secret)} in the environment, or in a file given with --env-file, instead",
        )
    merged.update(given)
    return merged


def load_input(file: str | None, distro: str | None) -> tuple[bytes, str]:
    if file is not None and distro is not None:
        raise UsageError("give either FILE or --distro, not both")
    if distro is not None:
        from stackctl.distros.templates import read_template

        return read_template(distro)
    if file is None:
        raise UsageError("missing run config", hint="give a FILE, - for stdin, or --distro NAME")
    return read_source(file, sys.stdin.buffer)


def render_input(
    file: str | None,
    distro: str | None,
    env: list[str] | None,
    env_files: list[str] | None,
    *,
    validate: bool,
) -> Any:
    from stackctl.catalogue.stack import catalogue_for
    from stackctl.config.pipeline import render_config

    environ = build_env(env, env_files)  # flag errors (exit 2) before any file is read
    data, source = load_input(file, distro)
    schemas = catalogue_for(environ)
    rendered = render_config(
        data, source, environ, home=os.path.expanduser("~"), schemas=schemas, validate=validate
    )
    # A config's external_providers_dir and external_apis_dir extend the catalogue for it.
    return rendered, rendered.schemas or schemas
