"""Which config fields hold secrets, and redaction of them for display."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

MASK = "********"
SECRET_MARKERS: tuple[str, ...] = ("api_key", "token", "password", "secret", "credential", "private_key")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)  # called for every substituted field; names repeat
def is_secret_name(field_name: str) -> bool:
    """True when a config field's name marks it as holding a secret (api_key, token, password, ...).

    Markers match whole words of the snake_case (or camelCase) name, plurals included, so `api_token`,
    `aws_secret_access_key`, `apiKey` and `client_secrets` are secret. `tokens` is the exception: it counts
    (`max_tokens`), so a plain substring test would hide every token limit.
    """
    snake = _CAMEL_BOUNDARY.sub("_", field_name).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", snake) if w]
    for marker in SECRET_MARKERS:
        parts = marker.split("_")
        for start in range(len(words) - len(parts) + 1):
            window = words[start : start + len(parts)]
            last = window[-1]
            plural_ok = parts[-1] != "token" and last == parts[-1] + "s"
            if window[:-1] == parts[:-1] and (last == parts[-1] or plural_ok):
                return True
    return False


def redact(value: Any, extra_secret: Callable[[tuple[str | int, ...]], bool] | None = None) -> Any:
    """A copy of value with the literal text of every secret field replaced by the mask (see `mask_value`)."""

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            out: dict[Any, Any] = {}
            for key, item in node.items():
                child = (*path, key)
                secret = isinstance(key, str) and (
                    is_secret_name(key) or (extra_secret is not None and extra_secret(child))
                )
                out[key] = mask_value(item) if secret else walk(item, child)
            return out
        if isinstance(node, list):
            return [walk(item, (*path, i)) for i, item in enumerate(node)]
        return node

    return walk(value, ())


def mask_value(value: Any) -> Any:
    """A secret field's value as shown or stored: null stays null, references stay, literal text goes.

    An unexpanded reference names a variable, which is no secret and shows where one goes; but the
    default or alternative text inside it (`${env.KEY:=sk-...}`) is as literal as a bare value.
    """
    if value is None:
        return None
    if not isinstance(value, str) or "${" not in value:
        return MASK
    from stackctl.core.envsubst import SyntaxProblem, parse

    try:
        return _masked_text(parse(value))
    except SyntaxProblem:
        return MASK


def _masked_text(nodes: tuple[Any, ...]) -> str:
    from stackctl.core.envsubst import Ref

    parts: list[str] = []
    for node in nodes:
        if not isinstance(node, Ref):
            parts.append(MASK if node else "")
        elif node.op is None:
            parts.append(f"${{env.{node.name}}}")
        elif node.op == "?":
            parts.append(node.raw)  # the message shown when the variable is unset
        else:
            parts.append(f"${{env.{node.name}:{node.op}{_masked_text(node.body)}}}")
    return "".join(parts)
