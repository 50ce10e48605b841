"""Conversations and conversation items: the logic shared by the CLI, responses and the HTTP server.

Invariants:
- Every public function validates all of its input before writing anything; a violation raises
  `InvalidInputError` (exit 3, HTTP 400) and the database is unchanged. Unknown ids raise `NotFoundError`.
- Creating a conversation with its initial items, and adding a batch of items, is one transaction.
- Items keep strict insertion order (a store sequence, not timestamps), so paging with `after` in either
  order returns every item exactly once and `has_more` is exact.
- Nothing here prints, exits or speaks SQL; time comes from the `now` clock passed in (Unix seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from stackctl.conversations.wire import (
    DEFAULT_LIMIT,
    check_conversation_id,
    check_item_id,
    check_limit,
    check_order,
    conversation_not_found,
    conversation_wire,
    item_not_found,
    item_wire,
    list_items_wire,
)
from stackctl.conversations.wire import require_conversation as _require_conversation
from stackctl.errors import InvalidInputError, validation_lines
from stackctl.ids import new_id
from stackctl.models.conversations import (
    ITEM_TYPES,
    Conversation,
    ConversationDeleted,
    ConversationList,
    Item,
    ItemAdapter,
    ItemList,
)
from stackctl.models.lists import list_envelope
from stackctl.store import conversations as store
from stackctl.store import item_rows
from stackctl.store.database import Database
from stackctl.text import refuse_bad_text

Clock = Callable[[], int]
Order = Literal["asc", "desc"]

MAX_ITEMS_PER_CALL = 20
MAX_METADATA_KEYS = 16
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 512
_ITEM_CLASSES = frozenset(get_args(get_args(Item)[0]))
_TAGS = frozenset(ITEM_TYPES) | {"input_text", "output_text", "input_image", "input_file", "refusal"}


def system_clock() -> int:
    return int(time.time())


# --- validation -----------------------------------------------------------------------------------


def validate_metadata(metadata: Mapping[str, Any] | None) -> dict[str, str]:
    """Check OpenAI's metadata limits: at most 16 string pairs, keys <= 64 chars, values <= 512."""
    if metadata is None:
        return {}
    refuse_bad_text(dict(metadata), "metadata")
    problems: list[str] = []
    if len(metadata) > MAX_METADATA_KEYS:
        problems.append(f"metadata: {len(metadata)} keys, at most {MAX_METADATA_KEYS} allowed")
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            problems.append(f"metadata: keys must be non-empty strings, got {key!r}")
        elif len(key) > MAX_METADATA_KEY_LENGTH:
            problems.append(f"metadata.{key[:20]}...: key longer than {MAX_METADATA_KEY_LENGTH} characters")
        if not isinstance(value, str):
            problems.append(f"metadata.{key}: values must be strings, got {type(value).__name__}")
        elif len(value) > MAX_METADATA_VALUE_LENGTH:
            problems.append(f"metadata.{key}: value longer than {MAX_METADATA_VALUE_LENGTH} characters")
    if problems:
        raise InvalidInputError(
            "invalid metadata", details=problems, code="invalid_metadata", param="metadata"
        )
    return dict(metadata)


def parse_items(raw: Sequence[Any]) -> list[Item]:
    """Validate raw items (mappings or item models) against the item union; all problems reported at once.

    A mapping with a `role` and no `type` is a message, as in OpenAI's short input form (see `shape_item`).
    An item model of the union itself (e.g. from the HTTP body's schema) is already valid and kept as is.
    """
    items: list[Item] = []
    problems: list[str] = []
    for index, entry in enumerate(raw):
        if type(entry) in _ITEM_CLASSES:
            items.append(entry)
            continue
        data = entry.to_wire() if isinstance(entry, BaseModel) and hasattr(entry, "to_wire") else entry
        refuse_bad_text(data, f"items[{index}]")
        try:
            items.append(ItemAdapter.validate_python(data))
        except ValidationError as exc:
            problems.extend(validation_lines(exc.errors(), prefix=f"items[{index}]", skip=_TAGS))
    if problems:
        raise InvalidInputError("invalid conversation items", details=problems, code="invalid_item")
    return items


def check_new_item_ids(db: Database, conversation_id: str | None, item_ids: Sequence[str]) -> None:
    """Item ids about to be added must be well formed, distinct, and new to the conversation (if any)."""
    for item_id in item_ids:
        check_item_id(item_id)
    duplicates = sorted({i for i in item_ids if item_ids.count(i) > 1})
    if not duplicates and conversation_id is not None and item_ids:
        duplicates = sorted(store.existing_item_ids(db, conversation_id, item_ids))
    if duplicates:
        raise InvalidInputError(
            f"item id already used in this conversation: {', '.join(duplicates)}", code="duplicate_item_id"
        )


class _Prepared:
    """Items validated once and dumped once to the wire JSON that is both stored and returned."""

    def __init__(self, items: list[Item], wires: list[dict[str, Any]], client_ids: list[str]) -> None:
        self.items, self.wires, self.client_ids = items, wires, client_ids


def _prepare(raw: Sequence[Any]) -> _Prepared:
    """Validate items, give each an id (kept if the client chose one) and dump each to its wire JSON.
    Needs no database; the ids the client chose are checked by `check_new_item_ids` after."""
    items = parse_items(raw)
    client_ids = [item.id for item in items if item.id is not None]
    wires = []
    for index, parsed in enumerate(items):
        kept = parsed is raw[index]  # a model `parse_items` kept as is: its text is checked here
        if parsed.id is None:
            items[index] = parsed.model_copy(update={"id": new_id(_prefix(parsed))})
        wire = items[index].to_wire()
        if kept:
            refuse_bad_text(wire, f"items[{index}]")
        wires.append(wire)
    return _Prepared(items, wires, client_ids)


def _store(db: Database, conversation_id: str, prepared: _Prepared, created_at: int) -> None:
    """Inside the caller's transaction: check the ids the client chose, then insert."""
    check_new_item_ids(db, conversation_id, prepared.client_ids)
    store.insert_wire_items(db, conversation_id, prepared.wires, created_at)


def _prefix(item: Item) -> str:
    return "msg" if item.type == "message" else "item"


def _check_count(raw: Sequence[Any]) -> None:
    if len(raw) > MAX_ITEMS_PER_CALL:
        raise InvalidInputError(
            f"{len(raw)} items given, at most {MAX_ITEMS_PER_CALL} per call",
            code="too_many_items",
            param="items",
        )


# --- conversations --------------------------------------------------------------------------------


def create_conversation(
    db: Database,
    metadata: Mapping[str, Any] | None = None,
    items: Sequence[Any] = (),
    now: Clock = system_clock,
) -> Conversation:
    """Create a conversation and its initial items (at most 20) in one transaction."""
    clean = validate_metadata(metadata)
    _check_count(items)
    prepared = _prepare(items)
    check_new_item_ids(db, None, prepared.client_ids)
    conversation = Conversation(id=new_id("conv"), created_at=now(), metadata=clean)
    with db.transaction():
        store.insert_conversation(db, conversation)
        store.insert_wire_items(db, conversation.id, prepared.wires, conversation.created_at)
    return conversation


def get_conversation(db: Database, conversation_id: str) -> Conversation:
    return Conversation.model_validate(conversation_wire(db, conversation_id))


def update_conversation(db: Database, conversation_id: str, metadata: Mapping[str, Any]) -> Conversation:
    """Replace the conversation's metadata."""
    check_conversation_id(conversation_id)
    clean = validate_metadata(metadata)
    with db.transaction():
        if not store.update_metadata(db, conversation_id, clean):
            raise conversation_not_found(conversation_id)
    return get_conversation(db, conversation_id)


def delete_conversation(db: Database, conversation_id: str) -> ConversationDeleted:
    """Delete a conversation and all of its items."""
    check_conversation_id(conversation_id)
    with db.transaction():
        if not store.delete_conversation(db, conversation_id):
            raise conversation_not_found(conversation_id)
    return ConversationDeleted(id=conversation_id)


def list_conversations(
    db: Database, limit: int = DEFAULT_LIMIT, after: str | None = None, order: Order = "desc"
) -> ConversationList:
    """Conversations, newest first by default, paged with an `after` cursor."""
    check_limit(limit)
    check_order(order)
    after_seq = None if after is None else _require_conversation(db, after)
    rows = store.list_conversations(db, limit=limit + 1, after_seq=after_seq, order=order)
    return ConversationList(data=rows[:limit], has_more=len(rows) > limit)


# --- items ----------------------------------------------------------------------------------------


def append_items_in_tx(db: Database, conversation_id: str, items: Sequence[Any], now: Clock) -> list[Item]:
    """Add items inside the caller's open transaction, with no per-call count limit (for responses)."""
    if not db.in_transaction:
        raise RuntimeError("append_items_in_tx needs an open transaction")
    _require_conversation(db, conversation_id)
    prepared = _prepare(items)
    _store(db, conversation_id, prepared, now())
    return prepared.items


def add_items(
    db: Database, conversation_id: str, items: Sequence[Any], now: Clock = system_clock
) -> list[Item]:
    """Add up to 20 items to a conversation in one transaction; return them with their ids."""
    return _add(db, conversation_id, items, now).items


def add_items_wire(
    db: Database, conversation_id: str, items: Sequence[Any], now: Clock = system_clock
) -> dict[str, Any]:
    """`ItemList(data=add_items(...)).to_wire()`, from the one dump that was stored (the HTTP path)."""
    return list_envelope(_add(db, conversation_id, items, now).wires, has_more=False)


def _add(db: Database, conversation_id: str, items: Sequence[Any], now: Clock) -> _Prepared:
    check_conversation_id(conversation_id)
    _check_count(items)
    prepared = _prepare(items)  # invalid items are reported before taking the write lock
    with db.transaction():
        _require_conversation(db, conversation_id)
        _store(db, conversation_id, prepared, now())
    return prepared


def list_items(
    db: Database,
    conversation_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
    order: Order = "desc",
    include: Iterable[str] | None = None,
) -> ItemList:
    """One page of items, newest first by default; `has_more` says whether another page exists."""
    wire = list_items_wire(db, conversation_id, limit=limit, after=after, order=order, include=include)
    return ItemList(
        data=[ItemAdapter.validate_python(item) for item in wire["data"]], has_more=wire["has_more"]
    )


def all_items(
    db: Database, conversation_id: str, page_size: int = 100, *, until_seq: int | None = None
) -> Iterator[Item]:
    """Every item of a conversation (up to and including `until_seq`), oldest first, read page by page."""
    _require_conversation(db, conversation_id)
    after_seq: int | None = None
    while True:
        rows = store.fetch_items(db, conversation_id, limit=page_size, after_seq=after_seq, order="asc")
        for seq, item in rows:
            if until_seq is not None and seq > until_seq:
                return
            yield item
        if len(rows) < page_size:
            return
        after_seq = rows[-1][0]


def items_through(db: Database, conversation_id: str, item_ids: Sequence[str]) -> list[Item]:
    """The conversation's items up to and including the last of `item_ids` in it (a past turn's context).

    Empty if none of them is still in the conversation."""
    last = item_rows.last_item_seq(db, conversation_id, item_ids)
    return [] if last is None else list(all_items(db, conversation_id, until_seq=last))


def get_item(
    db: Database, conversation_id: str, item_id: str, *, include: Iterable[str] | None = None
) -> Item:
    return ItemAdapter.validate_python(item_wire(db, conversation_id, item_id, include=include))


def delete_item(db: Database, conversation_id: str, item_id: str) -> Conversation:
    """Delete one item; returns the conversation, as the OpenAI API does."""
    check_conversation_id(conversation_id)
    check_item_id(item_id)
    with db.transaction():
        _require_conversation(db, conversation_id)
        if not store.delete_item(db, conversation_id, item_id):
            raise item_not_found(conversation_id, item_id)
    return get_conversation(db, conversation_id)
