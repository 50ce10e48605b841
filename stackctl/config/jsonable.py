"""Loaded YAML values as JSON can hold them: the one conversion the registry and the output module share.

Pure and cheap to import (no YAML, no pydantic): `conv items list` goes through it on every run.
"""

from __future__ import annotations

import base64
import datetime
import math
from typing import Any


def json_compatible(value: Any) -> Any:
    """A copy of a loaded YAML value that JSON can hold as it is.

    YAML has dates, timestamps, binary, sets and non-string keys; JSON has none of them. Dates and
    timestamps become ISO 8601 text, binary its base64 text, sets sorted lists, keys their JSON spelling
    (`1`, `true`, `null`), and a float JSON cannot hold (`.nan`, `.inf`) null, as pydantic's JSON mode does.
    """
    if isinstance(value, dict):
        return {json_key(key): json_compatible(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_compatible(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((json_compatible(item) for item in value), key=repr)
    return _json_scalar(value)


def _json_scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime.date):  # datetime.datetime included
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def json_key(key: Any) -> str:
    """A mapping key as JSON spells it."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    return str(json_compatible(key))
