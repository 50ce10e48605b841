"""Which config fields hold secrets, and redaction of them for display."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

MASK = "********"
_SEGMENTS = re.compile(r"[_\-.]+")
_SECRET_WORDS = {"token", "password", "passwd", "secret", "credential", "credentials"}
_SECRET_PAIRS = {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")}
_SQUASHED = ("apikey", "privatekey", "accesstoken", "authtoken")


@lru_cache(maxsize=4096)  # called for every substituted field; names repeat
def is_secret_name(name: str) -> bool:
    """True for field names that hold secrets: api_key, token, password, secret, credential, private_key...

    Matching is by name segment, so `max_tokens` or `token_limit_hint` style counters are not secrets
    unless a segment is exactly a secret word.
    """
    lowered = name.lower()
    if any(word in lowered.replace("_", "").replace("-", "") for word in _SQUASHED):
        return True
    parts = [p for p in _SEGMENTS.split(lowered) if p]
    if any(p in _SECRET_WORDS for p in parts):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(parts, parts[1:], strict=False))


def redact(value: Any, extra_secret: Callable[[tuple[str | int, ...]], bool] | None = None) -> Any:
    """A copy of value with every non-null secret field replaced by the mask."""

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            out: dict[Any, Any] = {}
            for key, item in node.items():
                child = (*path, key)
                secret = isinstance(key, str) and (
                    is_secret_name(key) or (extra_secret is not None and extra_secret(child))
                )
                # An unexpanded reference names a variable; it is no secret and shows where one goes.
                masked = secret and item is not None and not _is_reference(item)
                out[key] = MASK if masked else walk(item, child)
            return out
        if isinstance(node, list):
            return [walk(item, (*path, i)) for i, item in enumerate(node)]
        return node

    return walk(value, ())


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${env.") and value.endswith("}")
