"""Conversations and pages of their items as wire JSON, without pydantic: what `conv get` and `conv items
list` print.

Also the checks every conversation function shares (ids, limit, order, include), kept here so that this
module needs neither models nor pydantic. A page built here is exactly `list_items(...).to_wire()` of
`stackctl.conversations.service`: items are stored as their wire JSON, and the one include filter
(`filter_wire`) serves both paths, leaving out every optional field the caller did not include, as the
OpenAI API does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from stackctl.errors import InvalidInputError, NotFoundError
from stackctl.ids import check_id
from stackctl.models.lists import list_envelope
from stackctl.store import item_rows as rows
from stackctl.store.database import Database
from stackctl.text import parse_stored

Order = Literal["asc", "desc"]

MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 1, 100, 20

_CLIENT_ITEM_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


# include value -> (item type, content part type or None, path of the field dropped unless included)
_OPTIONAL_FIELDS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "code_interpreter_call.outputs": ("code_interpreter_call", None, ("outputs",)),
    "computer_call_output.output.image_url": ("computer_call_output", None, ("output", "image_url")),
    "file_search_call.results": ("file_search_call", None, ("results",)),
    "message.input_image.image_url": ("message", "input_image", ("image_url",)),
    "message.output_text.logprobs": ("message", "output_text", ("logprobs",)),
    "reasoning.encrypted_content": ("reasoning", None, ("encrypted_content",)),
    "web_search_call.action.sources": ("web_search_call", None, ("action", "sources")),
    "web_search_call.results": ("web_search_call", None, ("results",)),
}
INCLUDABLE = tuple(sorted(_OPTIONAL_FIELDS))


def check_conversation_id(conversation_id: str) -> None:
    check_id(conversation_id, "conv", "conversation")


def check_item_id(item_id: str) -> None:
    if not _CLIENT_ITEM_ID.fullmatch(item_id):
        raise InvalidInputError(
            f"malformed item id: {item_id!r}",
            hint="item ids are 1-128 characters from letters, digits and _ . : -",
            code="invalid_id",
        )


def check_limit(limit: int) -> None:
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise InvalidInputError(
            f"limit must be between {MIN_LIMIT} and {MAX_LIMIT}, got {limit}",
            code="invalid_limit",
            param="limit",
        )


def check_order(order: str) -> None:
    if order not in ("asc", "desc"):
        raise InvalidInputError(f"order must be 'asc' or 'desc', got {order!r}", param="order")


def check_include(include: Iterable[str] | None) -> frozenset[str]:
    wanted = frozenset(include or ())
    unknown = sorted(wanted - set(INCLUDABLE))
    if unknown:
        raise InvalidInputError(
            f"unknown include value: {', '.join(unknown)}",
            hint=f"one of: {', '.join(INCLUDABLE)}",
            param="include",
        )
    return wanted


def conversation_not_found(conversation_id: str) -> NotFoundError:
    return NotFoundError(f"Conversation '{conversation_id}' not found", code="conversation_not_found")


def item_not_found(conversation_id: str, item_id: str) -> NotFoundError:
    return NotFoundError(f"item not found in {conversation_id}: {item_id}", code="item_not_found")


def require_conversation(db: Database, conversation_id: str) -> int:
    """The conversation's seq (its place in the list of conversations); a malformed or unknown id fails."""
    check_conversation_id(conversation_id)
    seq = rows.conversation_seq(db, conversation_id)
    if seq is None:
        raise conversation_not_found(conversation_id)
    return seq


def recent_conversation_ids(db: Database, limit: int = 100) -> list[str]:
    """The newest conversations' ids, newest first, read without models (shell completion)."""
    return rows.recent_conversation_ids(db, limit)


def conversation_wire(db: Database, conversation_id: str) -> dict[str, Any]:
    """`get_conversation(...).to_wire()`, read straight from the stored row."""
    check_conversation_id(conversation_id)
    row = rows.fetch_conversation_row(db, conversation_id)
    if row is None:
        raise conversation_not_found(conversation_id)
    found_id, created_at, metadata = row
    return {
        "id": found_id,
        "object": "conversation",
        "created_at": created_at,
        "metadata": parse_stored(metadata, f"conversation {found_id}"),
    }


def after_seq(db: Database, conversation_id: str, after: str | None) -> int | None:
    if after is None:
        return None
    check_item_id(after)
    seq = rows.item_seq(db, conversation_id, after)
    if seq is None:
        raise item_not_found(conversation_id, after)
    return seq


def list_items_wire(
    db: Database,
    conversation_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
    order: Order = "desc",
    include: Iterable[str] | None = None,
) -> dict[str, Any]:
    """`list_items(...).to_wire()`, read straight from the stored wire JSON."""
    check_limit(limit)
    check_order(order)
    wanted = check_include(include)
    require_conversation(db, conversation_id)
    cursor = after_seq(db, conversation_id, after)
    found = rows.fetch_item_rows(db, conversation_id, limit=limit + 1, after_seq=cursor, order=order)
    page = [filter_wire(item, wanted) for item in _parse_rows(data for _, data in found[:limit])]
    return list_envelope(page, has_more=len(found) > limit)


def all_items_wire(db: Database, conversation_id: str, page_size: int = 1000) -> Iterator[dict[str, Any]]:
    """Every item of a conversation as its stored wire JSON, oldest first, read page by page."""
    require_conversation(db, conversation_id)
    cursor: int | None = None
    while True:
        found = rows.fetch_item_rows(db, conversation_id, limit=page_size, after_seq=cursor, order="asc")
        yield from _parse_rows(data for _, data in found)
        if len(found) < page_size:
            return
        cursor = found[-1][0]


def item_wire(
    db: Database, conversation_id: str, item_id: str, *, include: Iterable[str] | None = None
) -> dict[str, Any]:
    """`get_item(...).to_wire()`, read straight from the stored wire JSON."""
    wanted = check_include(include)
    require_conversation(db, conversation_id)
    check_item_id(item_id)
    data = rows.fetch_item_data(db, conversation_id, item_id)
    if data is None:
        raise item_not_found(conversation_id, item_id)
    return filter_wire(parse_stored(data, f"item {item_id}"), wanted)


def _parse_rows(texts: Iterable[str]) -> list[dict[str, Any]]:
    """Stored wire JSON texts, parsed in one call (as one JSON array): far cheaper than a call per row."""
    parsed: list[dict[str, Any]] = parse_stored("[" + ",".join(texts) + "]", "a stored item")
    return parsed


def filter_wire(item: dict[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    """Drop every optional field not asked for with include, as the OpenAI API leaves them out."""
    for include, (item_type, part_type, path) in _OPTIONAL_FIELDS.items():
        if item.get("type") != item_type or include in wanted:
            continue
        if part_type is None:
            item = _without_path(item, path)
        elif isinstance(item.get("content"), list):
            parts = [_without_path(p, path) if _is(p, part_type) else p for p in item["content"]]
            item = {**item, "content": parts}
    return item


def _is(part: Any, kind: str) -> bool:
    return isinstance(part, dict) and part.get("type") == kind


def _without_path(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    if not rest:
        return {key: value for key, value in data.items() if key != head}
    child = data.get(head)
    return {**data, head: _without_path(child, rest)} if isinstance(child, dict) else data
