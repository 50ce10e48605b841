"""Keyset paging over `seq`: the one helper every paginated repository read uses.

A cursor is the `seq` of the last row seen; the next page is the rows strictly after it in the listing
order. `seq` only grows and commits in order (see `store.database`), so pages never skip or repeat.
"""

from __future__ import annotations

from typing import Literal

Order = Literal["asc", "desc"]


def after(order: Order, after_seq: int | None, column: str = "seq") -> tuple[list[str], list[object]]:
    """The WHERE clauses and parameters for rows strictly after `after_seq` in `order` (none without one)."""
    if after_seq is None:
        return [], []
    return [f"{column} {'>' if order == 'asc' else '<'} ?"], [after_seq]


def before(order: Order, before_seq: int | None, column: str = "seq") -> tuple[list[str], list[object]]:
    """The WHERE clauses and parameters for rows strictly before `before_seq` in `order`."""
    if before_seq is None:
        return [], []
    return [f"{column} {'<' if order == 'asc' else '>'} ?"], [before_seq]


def direction(order: Order) -> str:
    return "ASC" if order == "asc" else "DESC"


def where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""
