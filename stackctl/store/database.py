"""The Database protocol: what the repositories and the domain ask of a database, whatever the backend.

Two implementations, `store.sqlite.connection.SqliteDatabase` and
`store.postgres.connection.PostgresDatabase`; `store.open` picks one by the location's scheme. SQL given to
`execute` is portable: `?` placeholders (the PostgreSQL backend translates them), no backend-specific
functions outside the schema modules.

Invariants every backend keeps:
- Outside `transaction()` each statement commits on its own (autocommit); all writes happen inside it.
- An outermost `transaction()` serialises writers: SQLite by `BEGIN IMMEDIATE`, PostgreSQL by a transaction
  advisory lock taken first. So a sequence value taken inside a transaction is committed in that order:
  keyset pages over `seq` never skip or repeat a row, whatever the concurrency.
- Nested `transaction()` blocks are savepoints; an error rolls back to where the block began.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol, Self, TypeVar

Backend = Literal["sqlite", "postgresql"]
T = TypeVar("T")

RETRY_ATTEMPTS = 5


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses (sqlite3 and psycopg cursors both have it)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """One connection to a stackctl database and its transaction discipline."""

    @property
    def backend(self) -> Backend: ...

    @property
    def location(self) -> str:
        """Where the database is, fit to print: a path, or a URL with its password masked."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    @property
    def stand_in(self) -> bool:
        """True when the database did not exist and was opened with `create=False`: an empty one stands
        in for it (SQLite in memory, PostgreSQL a transaction rolled back on close), so nothing done
        through it is kept."""
        ...

    def transaction(self) -> AbstractContextManager[Database]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> object: ...

    def tables(self) -> list[str]:
        """The names of the tables in this database (its schema on PostgreSQL), sorted."""
        ...

    def is_retryable(self, exc: BaseException) -> bool:
        """True for a failure a new attempt of the whole transaction can cure (serialization, deadlock)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Database: ...

    def __exit__(self, *exc: object) -> None: ...


class Handle:
    """What both backends' database classes share: a connection, given back to its pool or closed."""

    TABLES_SQL: str  # the backend's query for the names of its tables, ordered

    def __init__(
        self, connection: Any, release: Callable[[], None] | None = None, *, stand_in: bool = False
    ) -> None:
        self.connection = connection
        self._depth = 0
        self._release = release
        self.stand_in = stand_in

    def tables(self) -> list[str]:
        return [str(row[0]) for row in self.connection.execute(self.TABLES_SQL).fetchall()]

    def close(self) -> None:
        """Give the connection back to the pool it came from, or close it; a second call does nothing."""
        if self._release is not None:
            release, self._release = self._release, None
            release()
        else:
            self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def retrying(
    db: Database,
    work: Callable[[], T],
    *,
    attempts: int = RETRY_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `work` inside one transaction, again (bounded, with jittered backoff) when the backend reports a
    serialization failure or deadlock. `work` must be safe to repeat: it starts from what it reads."""
    import random

    if db.in_transaction:
        return work()  # the outer transaction owns the retry
    for attempt in range(1, attempts + 1):
        try:
            with db.transaction():
                return work()
        except Exception as exc:
            if attempt == attempts or not db.is_retryable(exc):
                raise
        sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")
