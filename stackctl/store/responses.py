"""SQL for stored responses and their input items: SQL in, models out.

Invariants:
- Responses and input items are ordered by `seq` (AUTOINCREMENT or identity), not by timestamps, so `after`
  and `before` cursors are exact positions and pages never skip or repeat.
- A response is stored as its wire JSON; `model` and `status` are columns for filtering and inspection.
- Functions here never open transactions; the core decides the boundaries. Deleting a response deletes its
  input items (ON DELETE CASCADE).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from stackctl.models.conversations import Item, ItemAdapter
from stackctl.models.responses import Response
from stackctl.store import paging
from stackctl.store.database import Database
from stackctl.store.paging import Order
from stackctl.text import parse_stored


def insert_response(db: Database, response: Response, input_items: Sequence[Item]) -> None:
    db.execute(
        "INSERT INTO responses (id, created_at, model, status, data) VALUES (?, ?, ?, ?, ?)",
        (
            response.id,
            response.created_at,
            response.model,
            response.status,
            json.dumps(response.to_wire(), ensure_ascii=False),
        ),
    )
    db.executemany(
        "INSERT INTO response_input_items (response_id, id, type, data) VALUES (?, ?, ?, ?)",
        [
            (response.id, item.id, item.type, json.dumps(item.to_wire(), ensure_ascii=False))
            for item in input_items
        ],
    )


def _response(data: str) -> Response:
    body = parse_stored(data, "a stored response")
    body.pop("output_text", None)  # derived, recomputed from output
    return Response.model_validate(body)


def fetch_response(db: Database, response_id: str) -> Response | None:
    data = fetch_response_data(db, response_id)
    return None if data is None else _response(data)


def fetch_response_data(db: Database, response_id: str) -> str | None:
    """The stored wire JSON of one response."""
    row = db.execute("SELECT data FROM responses WHERE id = ?", (response_id,)).fetchone()
    return None if row is None else str(row[0])


def response_seq(db: Database, response_id: str) -> int | None:
    row = db.execute("SELECT seq FROM responses WHERE id = ?", (response_id,)).fetchone()
    return None if row is None else int(row[0])


def delete_response(db: Database, response_id: str) -> bool:
    return db.execute("DELETE FROM responses WHERE id = ?", (response_id,)).rowcount > 0


def list_responses(
    db: Database, *, limit: int, after_seq: int | None, order: Order, model: str | None
) -> list[Response]:
    rows = list_response_data(db, limit=limit, after_seq=after_seq, order=order, model=model)
    return [_response(data) for data in rows]


def list_response_data(
    db: Database, *, limit: int, after_seq: int | None, order: Order, model: str | None
) -> list[str]:
    """The stored wire JSON of up to `limit` responses after the cursor."""
    clauses, params = paging.after(order, after_seq)
    if model is not None:
        clauses.append("model = ?")
        params.append(model)
    rows = db.execute(
        f"SELECT data FROM responses {paging.where(clauses)} "  # noqa: S608 - fixed text
        f"ORDER BY seq {paging.direction(order)} LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [str(row[0]) for row in rows]


def input_item_seq(db: Database, response_id: str, item_id: str) -> int | None:
    row = db.execute(
        "SELECT seq FROM response_input_items WHERE response_id = ? AND id = ? ORDER BY seq LIMIT 1",
        (response_id, item_id),
    ).fetchone()
    return None if row is None else int(row[0])


def fetch_input_item_data(
    db: Database,
    response_id: str,
    *,
    limit: int,
    after_seq: int | None = None,
    before_seq: int | None = None,
    order: Order = "desc",
) -> list[str]:
    """The stored wire JSON of up to `limit` input items strictly between the cursors, in `order`."""
    # With only `before`, read backwards from the cursor so that the page is the one right before it.
    backwards = before_seq is not None and after_seq is None
    reading: Order = order if not backwards else ("desc" if order == "asc" else "asc")
    # `after` follows the listing order; `before` precedes it.
    after_clauses, after_params = paging.after(order, after_seq)
    before_clauses, before_params = paging.before(order, before_seq)
    clauses = ["response_id = ?", *after_clauses, *before_clauses]
    rows = db.execute(
        f"SELECT data FROM response_input_items {paging.where(clauses)} "  # noqa: S608 - fixed text
        f"ORDER BY seq {paging.direction(reading)} LIMIT ?",
        (response_id, *after_params, *before_params, limit),
    ).fetchall()
    items = [str(row[0]) for row in rows]
    return items[::-1] if backwards else items


def all_input_items(db: Database, response_id: str) -> list[Item]:
    """Every input item of a response, oldest first (for chaining with previous_response_id)."""
    rows = db.execute(
        "SELECT data FROM response_input_items WHERE response_id = ? ORDER BY seq ASC", (response_id,)
    ).fetchall()
    return [ItemAdapter.validate_python(parse_stored(row[0], "a stored input item")) for row in rows]
