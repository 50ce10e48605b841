"""YAML document paths: tuples of keys and indexes, printed as `providers.inference[0].config.api_key`."""

from __future__ import annotations

from typing import Any

DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


ABSENT = object()  # `value_at`'s answer for a path the document does not hold, when None is a value


def value_at(document: Any, path: DocPath, missing: Any = None) -> Any:
    """What `document` holds at `path` (keys of mappings, indexes of lists), else `missing`."""
    node = document
    for part in path:
        found = isinstance(node, dict) and part in node
        found = found or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not found:
            return missing
        node = node[part]
    return node
