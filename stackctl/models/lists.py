"""OpenAI's paginated list envelope, as plain data (no pydantic, so hot read paths can use it)."""

from __future__ import annotations

from typing import Any


def list_envelope(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """`{"object": "list", "data", "first_id", "last_id", "has_more"}` for a page of wire objects."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
