"""The `api=provider` spec parser, the only one.

A spec is `api=provider` pairs separated by `,` or `;`, across one or more arguments, with whitespace
around every part trimmed. A provider may carry config overrides: `provider?key=value&key2=value2`.
Anything malformed (no `=`, an empty API or provider, an override without a key) is a `UsageError`
(exit 2): whether the names exist is the catalogue's business, not the parser's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from stackctl.errors import UsageError

_SEPARATORS = re.compile(r"[,;]")
_HINT = "write api=provider pairs separated by ',' or ';', e.g. inference=ollama,safety=llama-guard"


@dataclass(frozen=True)
class ProviderSpecArg:
    """One `api=provider?key=value` item, its overrides kept as raw strings in order."""

    api: str
    provider: str
    overrides: tuple[tuple[str, str], ...] = field(default=())


def _overrides(text: str, item: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for part in text.split("&"):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"malformed override {part.strip()!r} in {item!r}",
                hint="overrides are provider?key=value, several joined with '&'",
                code="malformed_spec",
            )
        pairs.append((key, value.strip()))
    return tuple(pairs)


def parse_item(item: str) -> ProviderSpecArg:
    """Parse one `api=provider[?overrides]` item (already split on separators)."""
    text = item.strip()
    api, sep, rest = text.partition("=")
    provider, qmark, query = rest.partition("?")
    api, provider = api.strip(), provider.strip()
    if not sep or not api or not provider:
        raise UsageError(
            f"malformed spec item {text!r}: expected api=provider", hint=_HINT, code="malformed_spec"
        )
    return ProviderSpecArg(api, provider, _overrides(query, text) if qmark else ())


def parse_specs(args: Iterable[str]) -> list[ProviderSpecArg]:
    """Parse every argument into items, in order. An empty item (`a=b,,c=d`, a trailing `,`) is an error."""
    items: list[ProviderSpecArg] = []
    for arg in args:
        for chunk in _SEPARATORS.split(arg):
            if not chunk.strip():
                raise UsageError(f"empty item in spec {arg.strip()!r}", hint=_HINT, code="malformed_spec")
            items.append(parse_item(chunk))
    if not items:
        raise UsageError("no api=provider pairs given", hint=_HINT, code="malformed_spec")
    return items
