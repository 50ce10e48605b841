"""Text that UTF-8 cannot hold: lone UTF-16 surrogates, found, located and replaced.

JSON lets a string hold `\\ud800` without its other half, and bytes that are not UTF-8 in argv become
`\\udcXX` (surrogateescape); Python keeps each as a lone surrogate, which then fails to print, store, hash or
send. Input is checked with `surrogate_path` and refused by the caller before anything is written; what was
stored before that check existed is read back with `valid_json` (U+FFFD in place of each lone half).
`stackctl.inference.surrogates` repairs provider streams with these.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from stackctl.errors import InvalidInputError

log = logging.getLogger("stackctl.store")

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(value: Any) -> bool:
    """Whether a string, or any string (or key) in a parsed JSON value, holds a surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(has_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(has_surrogate(key) or has_surrogate(item) for key, item in value.items())
    return False


def valid_text(text: str) -> str:
    """The text with adjacent halves joined into one character and lone halves replaced by U+FFFD."""
    if not has_surrogate(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def valid_json(value: Any) -> Any:
    """A parsed JSON value with `valid_text` applied to every string in it, keys included."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [valid_json(item) for item in value]
    if isinstance(value, dict):
        return {valid_text(str(key)): valid_json(item) for key, item in value.items()}
    return value


def surrogate_path(value: Any, path: str) -> str | None:
    """Where in a parsed JSON value (named `path`) the first string holding a surrogate is, or None:
    `metadata.k`, `items[0].content[0].text`."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = surrogate_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                return f"{path} (a key)"
            found = surrogate_path(item, f"{path}.{key}")
            if found is not None:
                return found
    return None


# A stored JSON text that may hold a surrogate: as an escape, or as the code point itself.
_STORED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[\ud800-\udfff]")


def may_hold_surrogate(stored: str) -> bool:
    """A cheap test on stored JSON text: False means no string in it can hold a surrogate.

    Linear scans in C first (an escaped half starts `\\ud` or `\\uD`; a raw half cannot be encoded), the
    pattern only when one of them finds something: a 100k-item context reads megabytes of stored text."""
    if "\\ud" not in stored and "\\uD" not in stored:
        if stored.isascii():
            return False
        try:
            stored.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    return _STORED_SURROGATE.search(stored) is not None


def refuse_bad_text(value: Any, path: str) -> None:
    """Refuse input (before anything is written) whose text UTF-8 cannot hold, naming the field."""
    where = surrogate_path(value, path)
    if where is not None:
        raise InvalidInputError(
            f"{where} is not valid UTF-8 text: it holds a lone surrogate or bytes that are not UTF-8",
            hint="send text as UTF-8 (on the command line, check the terminal's encoding)",
            code="invalid_text",
            param=where.split(" ", 1)[0],
        )


def parse_stored(stored: str, what: str) -> Any:
    """Stored JSON, parsed; a lone surrogate stored before input was checked for them is replaced by U+FFFD
    with a warning (once per read), so that one bad row never fails a read or a whole list."""
    value = json.loads(stored)
    if may_hold_surrogate(stored) and has_surrogate(value):
        log.warning("warning: %s holds text UTF-8 cannot hold; read with U+FFFD in its place", what)
        value = valid_json(value)
    return value
