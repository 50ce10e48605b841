"""What the error boundary in `stackctl.cli.main` does with a run that failed.

Each handler takes what `_dispatch` caught and the raw arguments, writes `error:`/`hint:` lines on stderr (or,
with `-o json`, one JSON error object) and returns the exit code; `--debug` adds the traceback first. No error
and no traceback shows the userinfo of a URL; a traceback shows no value of a variable named like a secret.
Imported only when a run fails: a run that succeeds never loads this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from typer._click.exceptions import NoArgsIsHelpError

from stackctl.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    InterruptedByUser,
    InvalidInputError,
    StackctlError,
    UsageError,
)


def _sniff_format(argv: Sequence[str]) -> str:
    """The -o value, read from the raw arguments so that even parse errors honour `-o json`."""
    fmt = "table"
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv):
            fmt = argv[i + 1]
        elif arg.startswith("--output="):
            fmt = arg.split("=", 1)[1]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            fmt = arg[2:]
    return fmt.lower()


def stackctl_error(exc: StackctlError, args: Sequence[str], *, debug: bool) -> int:
    """One of ours: its message, details and hint, and its own exit code."""
    if debug:
        _print_traceback(args)
    report_error(exc, as_json=_as_json(args))
    return exc.exit_code


def usage_error(exc: typer.TyperException, args: Sequence[str]) -> int:
    """What the parser refused, as a usage error (exit 2), or the help a bare group asks for (exit 0)."""
    if isinstance(exc, NoArgsIsHelpError):  # a bare `stackctl` (or group): the help is what was asked for
        sys.stdout.write(exc.ctx.get_help() + "\n")
        return 0
    usage = UsageError(exc.format_message(), hint=_usage_hint(exc))
    usage.exit_code = getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE
    report_error(usage, as_json=_as_json(args))
    return usage.exit_code


def interrupted(args: Sequence[str]) -> int:
    """Ctrl-C (or typer's Abort): exit 130."""
    report_error(InterruptedByUser("interrupted"), as_json=_as_json(args))
    return EXIT_INTERRUPTED


def unexpected(exc: Exception, args: Sequence[str], *, debug: bool) -> int:
    """Anything else: a reader gone away is no error of ours, a database fault is reported as such, and the
    rest is an internal error (exit 1)."""
    if isinstance(exc, UnicodeEncodeError) and "surrogates not allowed" in exc.reason:
        # Bytes that are not UTF-8 (in an argument, the environment) met something that must encode them:
        # a database write (rolled back with its transaction), a request, a printed line. Invalid input.
        message = (
            "text UTF-8 cannot hold (bytes that are not UTF-8, or a lone surrogate): nothing was written"
        )
        hint = "check the terminal's or the environment's encoding (arguments and variables must be UTF-8)"
        return stackctl_error(InvalidInputError(message, hint=hint, code="invalid_text"), args, debug=debug)
    if not _reader_gone(exc):
        return _internal_error(exc, args, debug=debug, as_json=_as_json(args))
    # The reader went away (`stackctl ... | head`): not an error of ours.
    _silence_stdout()
    return 0


def _as_json(args: Sequence[str]) -> bool:
    return _sniff_format(args) == "json"


def _mask_urls(exc: StackctlError) -> None:
    """No error shows the userinfo of a URL (`http://user:pass@host`), whatever quoted it."""
    texts = [exc.message, *exc.details, exc.hint or ""]
    if not any("@" in text for text in texts):
        return
    from stackctl.config.secrets import mask_url_userinfo

    exc.message = mask_url_userinfo(exc.message)
    exc.details = [mask_url_userinfo(detail) for detail in exc.details]
    exc.hint = mask_url_userinfo(exc.hint) if exc.hint else exc.hint


def _print_traceback(args: Sequence[str]) -> None:
    """The traceback `--debug` asks for, masked as errors are: no URL's userinfo (nor a piece of the password
    of a URL given in the arguments or STACKCTL_DB, which libpq may quote split), and no value of a variable
    named like a secret, from the environment or an `--env NAME=VALUE` argument."""
    import traceback

    from stackctl.config.secrets import MASK, is_secret_variable, mask_url_userinfo, secret_pattern
    from stackctl.userinfo import mask_secrets_of

    text = traceback.format_exc()
    for url in [*(arg for arg in args if "://" in arg), os.environ.get("STACKCTL_DB", "")]:
        text = mask_secrets_of(url, text, MASK) if "@" in url else text
    values = [value for name, value in os.environ.items() if is_secret_variable(name)]
    values += [value for name, value in _env_pairs(args) if is_secret_variable(name)]
    pattern = secret_pattern(values)
    text = mask_url_userinfo(pattern.sub(MASK, text) if pattern else text)
    sys.stderr.write(text)


def _env_pairs(args: Sequence[str]) -> list[tuple[str, str]]:
    """The NAME=VALUE pairs of `--env` arguments (`--env N=V`, `--env=N=V`, `-e N=V`)."""
    given = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("--env", "-e")]
    given += [arg.split("=", 1)[1] for arg in args if arg.startswith("--env=")]
    return [(pair.split("=", 1)[0], pair.split("=", 1)[1]) for pair in given if "=" in pair]


def report_error(exc: StackctlError, *, as_json: bool) -> None:
    _mask_urls(exc)
    if as_json:
        import json

        sys.stderr.write(json.dumps(exc.to_dict()) + "\n")
        return
    from stackctl.cli.output import use_color

    color = use_color(sys.stderr)
    label = "\x1b[31merror:\x1b[0m" if color else "error:"
    lines = [f"{label} {exc.message}"]
    lines.extend(f"  {detail}" for detail in exc.details)
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    sys.stderr.write("\n".join(lines) + "\n")


def _storage_fault(exc: Exception, args: Sequence[str]) -> StackctlError | None:
    """A database fault (busy, disk full, read-only, corrupt) as its own error, naming the file."""
    if "sqlite3" not in sys.modules and "psycopg" not in sys.modules:  # no database was opened
        return None
    from stackctl.paths import db_location
    from stackctl.store.faults import classify

    override = next((args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--db"), None)
    override = override or next((arg.split("=", 1)[1] for arg in args if arg.startswith("--db=")), None)
    return classify(exc, db_location(os.environ, override))


def _reader_gone(exc: Exception) -> bool:
    from stackctl.cli.output import ReaderGone

    return isinstance(exc, ReaderGone | BrokenPipeError)


def _internal_error(exc: Exception, args: Sequence[str], *, debug: bool, as_json: bool) -> int:
    if debug:
        _print_traceback(args)
    fault = _storage_fault(exc, args)  # one of the database's own faults: its own message and exit code
    if fault is not None:
        report_error(fault, as_json=as_json)
        return fault.exit_code
    report_error(
        StackctlError(
            f"internal error: {type(exc).__name__}: {exc}", hint="rerun with --debug for a traceback"
        ),
        as_json=as_json,
    )
    return EXIT_INTERNAL


def _usage_hint(exc: Exception) -> str | None:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return None
    return f"see '{ctx.command_path} --help'"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
