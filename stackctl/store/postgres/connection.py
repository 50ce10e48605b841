"""The PostgreSQL backend of the Database protocol (psycopg 3; the pool is psycopg_pool).

Invariants:
- The location is handed to libpq as written, so PGPASSWORD, ~/.pgpass, PGSSLMODE and the other PG*
  variables work as they do for psql; a printed location always has its password masked.
- Connections are in autocommit mode: writes happen only inside `transaction()`, whose outermost level
  takes a transaction advisory lock first (one per schema). Writers are serialised as SQLite's
  `BEGIN IMMEDIATE` serialises them, so `seq` values commit in order and keyset pages are exact under
  concurrent writers; readers never wait. Nested blocks are savepoints.
- SQL arrives with `?` placeholders and is translated to psycopg's `%s` (literal `%` doubled) once per text.
- psycopg is imported only here, and only when a PostgreSQL location is opened.
- A server's handle (`PostgresPool.acquire`, a `PooledDatabase`) holds a pool connection only while it
  uses one: a statement outside a transaction borrows one and gives it back with its whole result, a
  transaction keeps one from its first statement to its commit. So a handle kept across a provider call
  (or a stream's life) holds no connection meanwhile, and the pool is never emptied by slow providers.
- `connect(create=False)` on a schema with no stackctl tables (no `schema_migrations`) writes nothing: the
  connection works inside one transaction, begun at once and rolled back on close, so that migrations and
  everything a dry run or a read does through it leave no table and no row behind (SQLite's stand-in is an
  empty database in memory). Its writes are savepoints of that transaction; the writers' lock, once taken,
  is held until it closes.
- Every connection waits at most LOCK_TIMEOUT_SECONDS for a lock (the writers' lock included), as SQLite
  waits for its busy timeout; `classify_error` turns psycopg's errors into the storage faults of
  `stackctl.store.faults` (busy: exit 5 / 503 with Retry-After; unreachable, refused, disk full, read-only,
  corrupt: exit 3 / 503 naming the masked location and the cause).
"""

from __future__ import annotations

import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from stackctl.errors import InvalidInputError, StackctlError
from stackctl.store.database import Handle
from stackctl.store.postgres.schema import TABLES_SQL
from stackctl.userinfo import mask_secrets_of, mask_userinfo

LEDGER_TABLE = "schema_migrations"

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

    from stackctl.store.database import Cursor

MASK = "********"
_PASSWORD_PARAMETER = re.compile(r"(?i)([?&]password=)[^&#\s]*")
INSTALL_HINT = "pip install 'stackctl[postgres]'"
# One writer at a time per schema: the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE.
_WRITERS_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('stackctl:' || current_schema(), 0))"
POOL_SIZE = 10
LOCK_TIMEOUT_SECONDS = 30.0

# SQLSTATE (or its class, two characters) -> the cause a user is told. Checked in this order.
# Busy: lock timeout, statement timeout, serialization failure, deadlock.
_BUSY_STATES = ("55P03", "57014", "40001", "40P01")
_CAUSES = (
    ("53100", "the disk is full"),
    ("53", "the server is out of resources"),
    ("25006", "the database is read-only"),
    ("28", "authentication failed"),
    ("08", "the connection failed"),
    ("57P", "the server is shutting down or restarting"),
    ("XX001", "the data is corrupt"),
    ("XX002", "an index is corrupt"),
    ("42501", "permission denied"),
    ("3D000", "the database does not exist"),
    ("3F000", "the schema does not exist"),
)


def mask_location(location: str) -> str:
    """The URL with any password (in the userinfo or a `password=` parameter) replaced by a mask; the
    userinfo found as `stackctl.userinfo` finds it (a password holding `@` or `/` is masked whole)."""
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{MASK}", mask_userinfo(location, MASK))


def _masked_cause(exc: BaseException, location: str) -> str:
    """psycopg's first line, with no piece of the location's password in it (libpq, reading
    `user:p@ss@host`, reports the host `ss@host`)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{MASK}", mask_secrets_of(location, first, MASK))


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """`?` placeholders to psycopg's `%s`; a literal `%` becomes `%%`."""
    return sql.replace("%", "%%").replace("?", "%s")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise InvalidInputError(
            "a PostgreSQL database needs the postgres extra (psycopg), which is not installed",
            hint=f"run: {INSTALL_HINT}",
            code="postgres_not_installed",
        ) from None
    return psycopg


def classify_error(exc: BaseException, location: str) -> StackctlError | None:
    """The storage fault for a psycopg error met at `location`; None if `exc` is not one of psycopg's."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return None
    from stackctl.store.faults import BUSY_HINT, DatabaseBusyError, StorageFaultError

    where = mask_location(location)
    if isinstance(exc, psycopg.DataError) and "NUL" in str(exc):  # refused by psycopg, before the server
        return InvalidInputError(
            "text holds a NUL character, which PostgreSQL cannot store: nothing was written",
            hint="remove the NUL (\\0, \\u0000) from the input",
            code="invalid_text",
        )
    state = str(getattr(exc, "sqlstate", None) or "")
    if state in _BUSY_STATES:
        return DatabaseBusyError(
            f"database is busy: {where} stayed locked past the lock timeout ({_masked_cause(exc, location)})",
            hint=BUSY_HINT,
        )
    cause = next((cause for prefix, cause in _CAUSES if state.startswith(prefix)), None)
    if cause is None and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        cause = "the connection failed"  # refused, lost or closed: libpq gives no SQLSTATE for these
    if cause is None:
        return None
    return StorageFaultError(
        f"database {where}: {cause} ({_masked_cause(exc, location)})",
        hint="check the server, the URL, and PGPASSWORD or ~/.pgpass",
    )


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_SECONDS * 1000)}")


def error_type() -> type[Exception]:
    """psycopg's base error class (psycopg imported)."""
    error: type[Exception] = _psycopg().Error
    return error


def _unavailable(location: str, exc: Exception) -> InvalidInputError:
    return InvalidInputError(
        f"cannot connect to PostgreSQL at {mask_location(location)}: {_masked_cause(exc, location)}",
        hint="check the URL, the server, and PGPASSWORD or ~/.pgpass",
        code="database_unavailable",
    )


class PostgresDatabase(Handle):
    """One psycopg connection and its transaction discipline."""

    backend: Literal["postgresql"] = "postgresql"
    TABLES_SQL = TABLES_SQL
    connection: psycopg.Connection[Any]

    def __init__(
        self, connection: psycopg.Connection[Any], location: str, release: Callable[[], None] | None = None
    ) -> None:
        super().__init__(connection, release)
        self._location = location

    def begin_stand_in(self) -> None:
        """From now on everything runs in one transaction that `close()` rolls back (see the module)."""
        self.connection.autocommit = False
        self.connection.execute("SELECT 1")  # begins it: every `transaction()` is a savepoint from here on
        self.stand_in = True

    def close(self) -> None:
        if self.stand_in and not self.connection.closed:
            with suppress(_psycopg().Error):  # a lost connection has nothing left to roll back
                self.connection.rollback()
        super().close()

    @property
    def location(self) -> str:
        return mask_location(self._location)

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        """A write transaction (the writers' lock taken first), or a savepoint when nested."""
        with self.connection.transaction():
            if self._depth == 0:
                self.connection.execute(_WRITERS_LOCK)
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if not params:
            return self.connection.execute(sql)  # no placeholders: the text as is
        return self.connection.execute(translate(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> object:
        if not rows:
            return None
        with self.connection.cursor() as cursor:
            cursor.executemany(translate(sql), rows)
        return None

    def is_retryable(self, exc: BaseException) -> bool:
        return _is_retryable(exc)


def _is_retryable(exc: BaseException) -> bool:
    errors = _psycopg().errors
    return isinstance(exc, errors.SerializationFailure | errors.DeadlockDetected)


def connect(location: str, *, create: bool = True) -> PostgresDatabase:
    """A new connection to the database at the URL `location` (libpq reads PG* variables and ~/.pgpass).

    `create=False`: a schema that holds no stackctl database yet is not written (see the module)."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(location, autocommit=True)
        _configure(conn)
    except psycopg.Error as exc:
        raise _unavailable(location, exc) from None
    db = PostgresDatabase(conn, location)
    if not create:
        try:
            if LEDGER_TABLE not in db.tables():
                db.begin_stand_in()
        except BaseException:
            db.close()
            raise
    return db


class PostgresPool:
    """A psycopg_pool of connections for one server process; opened on first use, so that each worker
    process (which builds its own app) has a pool of its own."""

    def __init__(self, location: str, size: int = POOL_SIZE) -> None:
        self.location = location
        self._size = size
        self._pool: ConnectionPool[Any] | None = None
        self._lock = threading.Lock()

    def _open(self) -> ConnectionPool[Any]:
        with self._lock:
            if self._pool is None:
                _psycopg()
                from psycopg_pool import ConnectionPool

                pool: ConnectionPool[Any] = ConnectionPool(
                    self.location,
                    min_size=1,
                    max_size=self._size,
                    kwargs={"autocommit": True},
                    configure=_configure,
                    open=False,
                    name="stackctl",
                )
                try:
                    pool.open(wait=True, timeout=30)
                except Exception as exc:
                    pool.close()
                    raise _unavailable(self.location, exc) from None
                self._pool = pool
            return self._pool

    def acquire(self) -> PooledDatabase:
        """A handle for one user at a time; it borrows a connection only while it runs SQL (no I/O here)."""
        return PooledDatabase(self)

    def lend(self) -> PostgresDatabase:
        """A connection of the pool (waiting for one if all are lent); its `close()` gives it back."""
        pool = self._open()
        conn = pool.getconn()
        return PostgresDatabase(conn, self.location, release=lambda: pool.putconn(conn))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class _Rows:
    """A statement's whole result, read before its connection went back to the pool: the part of a cursor
    the store reads. Rows are handed out once each and dropped as they go."""

    def __init__(self, cursor: Any) -> None:
        self.rowcount: int = cursor.rowcount
        self.description: Any = cursor.description
        self._rows: deque[Any] = deque(cursor.fetchall() if cursor.description is not None else ())
        cursor.close()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()


class PooledDatabase:
    """A server's database handle over a `PostgresPool`, holding a connection only while it uses one.

    Outside a transaction each statement borrows a connection, reads its result whole and gives the
    connection back: the connections are autocommit, so such a statement was its own snapshot anyway and
    nothing about consistency changes. A transaction keeps one connection from start to commit, with the
    writers' lock and savepoints exactly as `PostgresDatabase.transaction`. Used by one thread at a time.
    """

    backend: Literal["postgresql"] = "postgresql"
    stand_in = False  # a server's database is migrated before it serves

    def __init__(self, pool: PostgresPool) -> None:
        self._pool = pool
        self._tx: PostgresDatabase | None = None

    @property
    def location(self) -> str:
        return mask_location(self._pool.location)

    @contextmanager
    def transaction(self) -> Iterator[PooledDatabase]:
        """A write transaction on one lent connection (the writers' lock taken first), or a savepoint."""
        if self._tx is not None:
            with self._tx.transaction():
                yield self
            return
        with self._pool.lend() as db, db.transaction():
            self._tx = db
            try:
                yield self
            finally:
                self._tx = None

    @property
    def in_transaction(self) -> bool:
        return self._tx is not None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self._tx is not None:
            return self._tx.execute(sql, params)
        with self._pool.lend() as db:
            return _Rows(db.execute(sql, params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> object:
        if self._tx is not None:
            return self._tx.executemany(sql, rows)
        with self._pool.lend() as db:
            return db.executemany(sql, rows)

    def tables(self) -> list[str]:
        return [str(row[0]) for row in self.execute(TABLES_SQL).fetchall()]

    def is_retryable(self, exc: BaseException) -> bool:
        return _is_retryable(exc)

    def close(self) -> None:
        """Nothing to give back: a connection is held only inside a statement or a transaction."""

    def __enter__(self) -> PooledDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
