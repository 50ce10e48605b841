"""Variables given on the command line: `--env KEY=VALUE` arguments and dotenv files.

Values read here are secrets as far as stackctl knows: errors name the line, never echo it.
"""

from __future__ import annotations

from collections.abc import Sequence

from stackctl.errors import ConfigError, UsageError


def parse_pairs(values: Sequence[str], option: str, *, hint: str | None = None) -> dict[str, str]:
    """The one `KEY=VALUE` parser: a repeatable option's values as a dict, a later key winning.

    The key is trimmed; the value is kept as given. A value without `=` or with an empty key is a usage error.
    """
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} expects KEY=VALUE, got {item!r}", hint=hint)
        out[key] = value
    return out


def parse_env_assignments(items: Sequence[str]) -> dict[str, str]:
    """`--env KEY=VALUE` arguments."""
    return parse_pairs(items, "--env", hint="e.g. --env OLLAMA_URL=http://127.0.0.1:11434")


def parse_env_file(text: str, source: str) -> dict[str, str]:
    """dotenv format: KEY=VALUE lines, `export` prefixes, # comments, single or double quotes."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            # The line is not echoed: its value may be a secret.
            shown = f"a line starting {key[:20]!r}" if sep else "a line with no '='"
            raise ConfigError(f"{source}:{number}: expected KEY=VALUE, got {shown}")
        out[key] = _env_file_value(value.strip())
    return out


def _env_file_value(value: str) -> str:
    """A dotenv value: quoted (a `# comment` may follow the closing quote) or bare (` #` starts a comment)."""
    quote = value[:1]
    if quote in ("'", '"'):
        end = len(value) - 1 if len(value) >= 2 and value[-1] == quote else value.find(quote + " #", 1)
        if end > 0:
            inner = value[1:end]
            return inner.replace("\\n", "\n").replace('\\"', '"') if quote == '"' else inner
    return value.split(" #", 1)[0].rstrip() if " #" in value else value
