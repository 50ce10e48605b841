"""Reads of conversations and their items as stored rows, with no models: the cheap half of the store.

`stackctl.store.conversations` validates these rows into models; read paths that print rows unchanged
(`conv get`, `conv items list`) use them as they are and never import pydantic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackctl.store import paging
from stackctl.store.database import Database
from stackctl.store.paging import Order


def fetch_conversation_row(db: Database, conversation_id: str) -> tuple[str, int, str] | None:
    """(id, created_at, metadata JSON) of one conversation."""
    row = db.execute(
        "SELECT id, created_at, metadata FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]), str(row[2]))


def recent_conversation_ids(db: Database, limit: int) -> list[str]:
    """The ids of the newest conversations (for shell completion)."""
    rows = db.execute("SELECT id FROM conversations ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
    return [str(row[0]) for row in rows]


def conversation_seq(db: Database, conversation_id: str) -> int | None:
    row = db.execute("SELECT seq FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return None if row is None else int(row[0])


def item_seq(db: Database, conversation_id: str, item_id: str) -> int | None:
    row = db.execute(
        "SELECT seq FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id)
    ).fetchone()
    return None if row is None else int(row[0])


def fetch_item_data(db: Database, conversation_id: str, item_id: str) -> str | None:
    """The stored wire JSON of one item."""
    row = db.execute(
        "SELECT data FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id)
    ).fetchone()
    return None if row is None else str(row[0])


def rows_of_items(db: Database, conversation_id: str, item_ids: Sequence[str], columns: str) -> list[Any]:
    """`columns` (trusted SQL) of these items of the conversation, asked in chunks of ids that stay well
    under every backend's bound-parameter limit."""
    rows: list[Any] = []
    chunk = 500
    for start in range(0, len(item_ids), chunk):
        part = list(item_ids[start : start + chunk])
        marks = ",".join("?" * len(part))
        rows += db.execute(
            f"SELECT {columns} FROM conversation_items WHERE conversation_id = ? AND id IN ({marks})",  # noqa: S608
            (conversation_id, *part),
        ).fetchall()
    return rows


def last_item_seq(db: Database, conversation_id: str, item_ids: Sequence[str]) -> int | None:
    """The highest seq among these items of the conversation; None if none of them is there."""
    return max((int(row[0]) for row in rows_of_items(db, conversation_id, item_ids, "seq")), default=None)


def fetch_item_rows(
    db: Database, conversation_id: str, *, limit: int, after_seq: int | None, order: Order
) -> list[tuple[int, str]]:
    """Up to `limit` (seq, wire JSON) pairs strictly after the cursor in `order`.

    Served by the (conversation_id, seq) index: a page costs the same at 100 items as at 100,000.
    """
    clauses, params = paging.after(order, after_seq)
    rows = db.execute(
        f"SELECT seq, data FROM conversation_items {paging.where(['conversation_id = ?', *clauses])} "  # noqa: S608
        f"ORDER BY seq {paging.direction(order)} LIMIT ?",
        (conversation_id, *params, limit),
    ).fetchall()
    return [(int(seq), str(data)) for seq, data in rows]
