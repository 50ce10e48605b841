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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from stackctl.errors import InvalidInputError
from stackctl.store.database import Handle
from stackctl.store.postgres.schema import TABLES_SQL

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

    from stackctl.store.database import Cursor

MASK = "********"
INSTALL_HINT = "pip install 'stackctl[postgres]'"
# One writer at a time per schema: the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE.
_WRITERS_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('stackctl:' || current_schema(), 0))"
POOL_SIZE = 10


def mask_location(location: str) -> str:
    """The URL with any password (in the userinfo or a `password=` parameter) replaced by a mask."""
    parts = urlsplit(location)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostinfo = netloc.rpartition("@")
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
        netloc = f"{userinfo}@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() == "password" else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


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


def _unavailable(location: str, exc: Exception) -> InvalidInputError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InvalidInputError(
        f"cannot connect to PostgreSQL at {mask_location(location)}: {first}",
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
        errors = _psycopg().errors
        return isinstance(exc, errors.SerializationFailure | errors.DeadlockDetected)


def connect(location: str) -> PostgresDatabase:
    """A new connection to the database at the URL `location` (libpq reads PG* variables and ~/.pgpass)."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(location, autocommit=True)
    except psycopg.Error as exc:
        raise _unavailable(location, exc) from None
    return PostgresDatabase(conn, location)


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

    def acquire(self) -> PostgresDatabase:
        pool = self._open()
        conn = pool.getconn()
        return PostgresDatabase(conn, self.location, release=lambda: pool.putconn(conn))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
