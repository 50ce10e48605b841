"""The SQLite backend of the Database protocol (`store.database`): one connection to one file.

Invariants:
- The file is created with mode 0600 before SQLite ever opens it, parent directories included.
- Every connection runs in WAL mode with foreign keys on and a busy timeout, in autocommit mode
  (`isolation_level=None`): writes happen only inside `Database.transaction()`, which starts with
  `BEGIN IMMEDIATE` so that concurrent writers queue on the lock instead of failing half-way.
- Nested `transaction()` blocks become savepoints of the outer transaction.
- A connection handed out by `SqlitePool` goes back to the pool on `close()`; one thread uses it at a time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from stackctl.errors import InvalidInputError
from stackctl.store.database import Handle
from stackctl.store.sqlite.schema import TABLES_SQL

BUSY_TIMEOUT_SECONDS = 30.0
_SQLITE_PREFIXES = ("sqlite:///", "sqlite://")


class SqliteDatabase(Handle):
    """One SQLite connection and its transaction discipline."""

    backend: Literal["sqlite"] = "sqlite"
    TABLES_SQL = TABLES_SQL
    connection: sqlite3.Connection

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        release: Callable[[], None] | None = None,
        *,
        stand_in: bool = False,
    ) -> None:
        super().__init__(connection, release, stand_in=stand_in)
        self.path = path

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def transaction(self) -> Iterator[SqliteDatabase]:
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
            # SQLite rolls the whole transaction back itself on some errors (a full disk, an I/O error):
            # there is nothing left to roll back, and trying would hide the error behind "no transaction".
            if conn.in_transaction:
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

    def is_retryable(self, exc: BaseException) -> bool:
        # Writers queue on the lock for BUSY_TIMEOUT_SECONDS; past that, a retry would only wait again.
        return False


def resolve_path(location: str) -> Path:
    """The file path for a SQLite location: a path, or `sqlite:///path`."""
    lowered = location.lower()
    for prefix in _SQLITE_PREFIXES:
        if lowered.startswith(prefix):
            location = location[len(prefix) :]
            break
    if "://" in location:
        raise InvalidInputError(f"unsupported database location: {location}", code="unsupported_database")
    return Path(location).expanduser()


def _create_private(path: Path) -> None:
    if path.is_symlink() and not path.exists():  # dangling: SQLite would create its target, world-readable
        path = path.parent / os.readlink(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect(location: str, *, create: bool = True) -> SqliteDatabase:
    """Open (creating if needed) the database without touching its schema.

    With `create=False` a database that does not exist yet is not created: an empty one in memory stands
    in for it, so that a dry run or a status report can read "nothing registered" and leave no file behind.
    """
    path = resolve_path(location)
    if not create and not path.exists():
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        return SqliteDatabase(conn, path, stand_in=True)
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
    return SqliteDatabase(conn, path)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    _switch_to_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """WAL mode, waited for as the busy timeout waits: switching a file that is still in rollback mode (a new
    one) needs an exclusive lock, and SQLite answers "database is locked" at once, not through the busy
    handler, while another process holds any lock on it (ten commands opening a new database together)."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class SqlitePool:
    """Connections to one file kept for reuse by a server's threads: each is handed to one request at a time.

    At most `idle` connections are kept open between requests; more may be open at once under load.
    """

    def __init__(self, location: str, idle: int = 8) -> None:
        self.location = location
        self._idle: list[SqliteDatabase] = []
        self._keep = idle
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> SqliteDatabase:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = connect(self.location)
        conn = db.connection
        return SqliteDatabase(conn, db.path, release=lambda: self._give_back(conn, db.path))

    def _give_back(self, conn: sqlite3.Connection, path: Path) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        with self._lock:
            if not self._closed and len(self._idle) < self._keep:
                self._idle.append(SqliteDatabase(conn, path))
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
