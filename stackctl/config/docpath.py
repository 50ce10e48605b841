"""YAML document paths: tuples of keys and indexes, printed as `providers.inference[0].config.api_key`."""

from __future__ import annotations

DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"
