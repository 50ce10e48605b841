"""Variables given on the command line: `--env KEY=VALUE` arguments and dotenv files.

Values read here are secrets as far as stackctl knows: errors name the line, never echo it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from stackctl.errors import ConfigError, UsageError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_pairs(
    values: Sequence[str], option: str, *, hint: str | None = None, echo: bool = False
) -> dict[str, str]:
    """The one `KEY=VALUE` parser: a repeatable option's values as a dict, a later key winning.

    The key is trimmed; the value is kept as given. A value without `=` or with an empty key is a usage error
    naming its position (`--env #2`); only with `echo` (options that hold no secrets: `--metadata`,
    `--set`) does the error quote what was given, which is then the key that lacks its value.
    """
    out: dict[str, str] = {}
    for position, item in enumerate(values, start=1):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            what = "no '='" if not sep else "an empty key"
            shown = (
                f"got {item!r}"
                if echo
                else f"{option} #{position} has {what} (not shown: it may be a secret)"
            )
            raise UsageError(f"{option} expects KEY=VALUE, {shown}", hint=hint)
        out[key] = value
    return out


def parse_env_assignments(items: Sequence[str]) -> dict[str, str]:
    """`--env KEY=VALUE` arguments."""
    return parse_pairs(items, "--env", hint="e.g. --env OLLAMA_URL=http://127.0.0.1:11434")


def parse_env_file(text: str, source: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A dotenv file, in python-dotenv's format: `export` prefixes, # comments, single quotes (raw) and
    double quotes (escapes such as \\n), values spanning lines inside quotes, and `${VAR}` / `${VAR:-default}`
    expanded from the file's earlier keys, then `env` (as python-dotenv resolves them, file first).

    Stricter than python-dotenv: a line it cannot parse, a key without `=`, or a key that is not a name
    (letters, digits, `_`) is an error naming the line, exit 3.
    """
    import io

    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    out: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        key, value = binding.key, binding.value
        # The line is never echoed: its value may be a secret (and a line with no '=' may be one whole).
        shown = (
            "a line it cannot read"
            if binding.error
            else "a line with no '='"
            if key is not None and value is None
            else "a key that is not a name (letters, digits and '_')"
            if key is not None and not _NAME.fullmatch(key)
            else None
        )
        if shown:
            raise ConfigError(f"{source}:{binding.original.line}: expected KEY=VALUE, got {shown}")
        if key is None or value is None:
            continue  # a blank line or a comment
        scope: dict[str, str | None] = {**(env or {}), **out}
        out[key] = "".join(atom.resolve(scope) for atom in parse_variables(value))
    return out
