"""Opening a database by its location: the one door every front end (cli/, server/) goes through.

A location is a SQLite path (or `sqlite:///path`), or a PostgreSQL URL (`postgresql://` or `postgres://`).
`open_database` brings the schema up to date once; `connect` leaves the schema alone. `open_pool` gives a
server process connections to reuse, one request at a time each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from stackctl.errors import InvalidInputError

if TYPE_CHECKING:
    from stackctl.store.database import Backend, Database

_PG_SCHEMES = ("postgresql://", "postgres://")


class Pool(Protocol):
    def acquire(self) -> Database:
        """A connection for one user at a time; its `close()` gives it back."""
        ...

    def close(self) -> None: ...


def backend_of(location: str) -> Backend:
    lowered = location.lower()
    if lowered.startswith(_PG_SCHEMES):
        return "postgresql"
    if lowered.startswith("sqlite:") or "://" not in location:
        return "sqlite"
    scheme = location.split("://", 1)[0]
    raise InvalidInputError(
        f"unsupported database location scheme {scheme}://",
        hint="use a file path, sqlite:///path or postgresql://user@host:port/dbname",
        code="unsupported_database",
    )


def display(location: str) -> str:
    """The location fit to print: a PostgreSQL URL has its password masked."""
    if backend_of(location) == "postgresql":
        from stackctl.store.postgres.connection import mask_location

        return mask_location(location)
    return location


def connect(location: str, *, create: bool = True) -> Database:
    """Open the database without touching its schema.

    `create=False`: a database that does not exist is not created, so that a dry run, a read or a status
    report leaves nothing behind; an empty one stands in for it (`Database.stand_in`). On SQLite that is a
    file that does not exist (an empty in-memory database stands in); on PostgreSQL, a schema with no
    stackctl tables (the connection works in one transaction, rolled back when it closes).
    """
    if backend_of(location) == "postgresql":
        from stackctl.store.postgres.connection import connect as pg_connect

        return pg_connect(location, create=create)
    from stackctl.store.sqlite.connection import connect as sqlite_connect

    return sqlite_connect(location, create=create)


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


def open_pool(location: str) -> Pool:
    """Reusable connections for one server process (psycopg_pool on PostgreSQL)."""
    if backend_of(location) == "postgresql":
        from stackctl.store.postgres.connection import PostgresPool

        return PostgresPool(location)
    from stackctl.store.sqlite.connection import SqlitePool

    return SqlitePool(location)
