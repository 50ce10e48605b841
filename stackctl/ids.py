"""Object ids: a type prefix and 48 lowercase hex characters from the OS random source, and the check of
an id given to us, which is OpenAI's: the right prefix, then only `[A-Za-z0-9_-]`, at most 64 characters.
A well-formed id of another form (`conv_nonexistent123`) is simply one that is not stored."""

from __future__ import annotations

import re
import secrets

from stackctl.errors import InvalidInputError

HEX_LENGTH = 48
MAX_ID_LENGTH = 64
_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def new_id(prefix: str) -> str:
    """A fresh id such as `conv_` + 48 hex characters."""
    return f"{prefix}_{secrets.token_hex(HEX_LENGTH // 2)}"


def id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}_[0-9a-f]{{{HEX_LENGTH}}}")


def check_id(value: str, prefix: str, what: str) -> str:
    """The id, if well-formed as OpenAI checks it; else an `InvalidInputError` (exit 3, HTTP 400) naming
    the expected prefix. `what` names the object (`conversation`, `response`)."""
    if (
        value.startswith(f"{prefix}_")
        and len(value) > len(prefix) + 1
        and len(value) <= MAX_ID_LENGTH
        and _ID_CHARS.fullmatch(value)
    ):
        return value
    raise InvalidInputError(
        f"malformed {what} id {value!r}: expected an id that begins with '{prefix}_'",
        hint=f"{what} ids are '{prefix}_' and then letters, digits, _ or -, at most {MAX_ID_LENGTH} "
        "characters in all",
        code="invalid_id",
    )
