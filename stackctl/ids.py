"""Object ids: a type prefix and 48 lowercase hex characters from the OS random source."""

from __future__ import annotations

import re
import secrets

HEX_LENGTH = 48


def new_id(prefix: str) -> str:
    """A fresh id such as `conv_` + 48 hex characters."""
    return f"{prefix}_{secrets.token_hex(HEX_LENGTH // 2)}"


def id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}_[0-9a-f]{{{HEX_LENGTH}}}")


def is_id(value: str, prefix: str) -> bool:
    return id_pattern(prefix).fullmatch(value) is not None
