"""Opening the stackctl database.

Invariants:
- The file is created with mode 0600 before SQLite ever opens it, parent directories included.
- Every connection runs in WAL mode with foreign keys on and a busy timeout, in autocommit mode
  (`isolation_level=None`): writes happen only inside `Database.transaction()`, which starts with
  `BEGIN IMMEDIATE` so that concurrent writers queue on the lock instead of failing half-way.
- Nested `transaction()` blocks become savepoints of the outer transaction.
- `open_database` applies pending migrations, so callers always see the newest schema.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stackctl.errors import InvalidInputError

BUSY_TIMEOUT_SECONDS = 30.0
_SQLITE_PREFIXES = ("sqlite:///", "sqlite://")


class Database:
    """One SQLite connection and its transaction discipline."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction: `BEGIN IMMEDIATE` outside, a savepoint when nested. Rolls back on error."""
        conn = self.connection
        if self._depth == 0:
            conn.execute("BEGIN IMMEDIATE")
            begin, commit, rollback = None, "COMMIT", "ROLLBACK"
        else:
            name = f"sp_{self._depth}"
            begin, commit, rollback = f"SAVEPOINT {name}", f"RELEASE {name}", f"ROLLBACK TO {name}"
            conn.execute(begin)
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            conn.execute(rollback)
            if self._depth > 0:
                conn.execute(commit)  # a savepoint stays on the stack after ROLLBACK TO; drop it
            raise
        self._depth -= 1
        try:
            conn.execute(commit)
        except sqlite3.Error:
            if self._depth == 0 and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return self.connection.executemany(sql, rows)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_path(location: str) -> Path:
    """The file path for a database location, refusing backends that do not exist yet."""
    lowered = location.lower()
    if lowered.startswith(("postgresql://", "postgres://")):
        raise InvalidInputError(
            "PostgreSQL databases are not supported yet",
            hint="point STACKCTL_DB or --db at a SQLite file path",
            code="unsupported_database",
        )
    for prefix in _SQLITE_PREFIXES:
        if lowered.startswith(prefix):
            location = location[len(prefix) :]
            break
    if "://" in location:
        raise InvalidInputError(f"unsupported database location: {location}", code="unsupported_database")
    return Path(location).expanduser()


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect(location: str, *, create: bool = True) -> Database:
    """Open (creating if needed) the database without touching its schema.

    With `create=False` a database that does not exist yet is not created: an empty one in memory stands
    in for it, so that a dry run or a status report can read "nothing registered" and leave no file behind.
    """
    path = resolve_path(location)
    if not create and not path.exists():
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        return Database(conn, path)
    try:
        _create_private(path)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise InvalidInputError(f"cannot open database {path}: {exc}", code="database_unavailable") from exc
    try:
        _configure(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if exc.sqlite_errorname not in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            raise
        raise InvalidInputError(
            f"{path} is not a stackctl database: {exc}",
            hint="point --db or STACKCTL_DB at a SQLite file, or at a path that does not exist yet",
            code="database_unavailable",
        ) from exc
    return Database(conn, path)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def open_database(location: str, *, create: bool = True) -> Database:
    """Open the database and bring its schema up to date (see `connect` for `create`)."""
    from stackctl.store.migrate import migrate

    db = connect(location, create=create)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db
