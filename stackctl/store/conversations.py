"""SQL for conversations and their items: SQL in, models out.

Invariants:
- Items are ordered by `seq` (SQLite AUTOINCREMENT, a PostgreSQL identity): strictly increasing in insertion
  and commit order and never reused, even after deletes, so a cursor (`after`) is always a precise position.
- Functions here never open transactions; callers (the core) decide the transaction boundaries.
- Items are stored as their wire JSON; the `type` column exists for filtering and inspection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stackctl.models.conversations import Conversation, Item, ItemAdapter
from stackctl.store import paging
from stackctl.store.database import Database
from stackctl.store.item_rows import fetch_item_rows, rows_of_items
from stackctl.store.paging import Order
from stackctl.text import parse_stored


def _conversation(row: tuple[str, int, str]) -> Conversation:
    return Conversation(id=row[0], created_at=row[1], metadata=parse_stored(row[2], f"conversation {row[0]}"))


def insert_conversation(db: Database, conversation: Conversation) -> None:
    db.execute(
        "INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)",
        (conversation.id, conversation.created_at, json.dumps(conversation.metadata, sort_keys=True)),
    )


def update_metadata(db: Database, conversation_id: str, metadata: dict[str, str]) -> bool:
    cursor = db.execute(
        "UPDATE conversations SET metadata = ? WHERE id = ?",
        (json.dumps(metadata, sort_keys=True), conversation_id),
    )
    return cursor.rowcount > 0


def delete_conversation(db: Database, conversation_id: str) -> bool:
    # Items go with it through ON DELETE CASCADE.
    return db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount > 0


def list_conversations(
    db: Database, *, limit: int, after_seq: int | None, order: Order
) -> list[Conversation]:
    """Up to `limit` conversations after the cursor, in `order` of creation."""
    clauses, params = paging.after(order, after_seq)
    rows = db.execute(
        f"SELECT id, created_at, metadata FROM conversations {paging.where(clauses)} "  # noqa: S608
        f"ORDER BY seq {paging.direction(order)} LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [_conversation(row) for row in rows]


def insert_items(db: Database, conversation_id: str, items: Sequence[Item], created_at: int) -> None:
    """Insert items in the given order; each must already carry its id."""
    insert_wire_items(db, conversation_id, [item.to_wire() for item in items], created_at)


def insert_wire_items(
    db: Database, conversation_id: str, wires: Sequence[dict[str, Any]], created_at: int
) -> None:
    """Insert items given as their wire JSON (each with its `id` and `type`), in the given order."""
    db.executemany(
        "INSERT INTO conversation_items (conversation_id, id, type, created_at, data) VALUES (?, ?, ?, ?, ?)",
        [
            (conversation_id, wire["id"], wire["type"], created_at, json.dumps(wire, ensure_ascii=False))
            for wire in wires
        ],
    )


def existing_item_ids(db: Database, conversation_id: str, item_ids: Sequence[str]) -> set[str]:
    return {row[0] for row in rows_of_items(db, conversation_id, item_ids, "id")}


def fetch_items(
    db: Database, conversation_id: str, *, limit: int, after_seq: int | None, order: Order
) -> list[tuple[int, Item]]:
    """Up to `limit` (seq, item) pairs strictly after the cursor in `order`.

    Served by the (conversation_id, seq) index: a page costs the same at 100 items as at 100,000.
    """
    rows = fetch_item_rows(db, conversation_id, limit=limit, after_seq=after_seq, order=order)
    return [(seq, ItemAdapter.validate_python(parse_stored(data, f"item {seq}"))) for seq, data in rows]


def delete_item(db: Database, conversation_id: str, item_id: str) -> bool:
    cursor = db.execute(
        "DELETE FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id)
    )
    return cursor.rowcount > 0
