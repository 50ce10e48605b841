"""Reading command-line input: `k=v` pairs, JSON arguments with `@path`, files where `-` means stdin.

Malformed flag syntax is a usage error (exit 2); unreadable files and invalid JSON are invalid input (exit 3).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stackctl.errors import InvalidInputError, UsageError


def parse_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """`["k=v", ...]` as a dict; a later key wins, as with repeated flags elsewhere."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} expects KEY=VALUE, got {value!r}")
        pairs[key] = rest
    return pairs


def read_text(source: str) -> str:
    """The contents of a file, or of stdin for `-`; either must be UTF-8 text."""
    name = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).expanduser().read_text(encoding="utf-8")
        # stdin may decode with surrogateescape (C locale): bytes that are not UTF-8 only show up here.
        text.encode("utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name}: {exc.strerror or exc}") from exc
    except UnicodeError as exc:
        raise InvalidInputError(
            f"cannot read {name}: not UTF-8 text", hint="save it as UTF-8 (JSON and text input must be UTF-8)"
        ) from exc
    return text


def json_arg(value: str, option: str) -> Any:
    """A JSON argument, or the JSON in a file for `@path`."""
    text, where = (read_text(value[1:]), value[1:]) if value.startswith("@") else (value, option)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{where}: invalid JSON: {exc}") from exc


def json_documents(source: str) -> list[Any]:
    """A JSON array, a single JSON object, or JSON lines from a file or stdin."""
    text = read_text(source).strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        docs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{source}:{number}: invalid JSON: {exc}") from exc
        return docs
    return data if isinstance(data, list) else [data]
