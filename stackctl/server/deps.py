"""Per-request dependencies: a database connection of its own for every request, and the environment.

Connections come from the worker process's pool (`store.open.open_pool`: psycopg_pool on PostgreSQL, kept
SQLite connections otherwise). Each request holds one connection alone for its duration, so its transaction
stays separate and no connection is used by two threads at once; closing it gives it back to the pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated

from fastapi import Depends, Request

from stackctl.store.database import Database


def acquire(request: Request) -> Database:
    """A connection from this app's pool; the caller closes it (which returns it to the pool)."""
    db: Database = request.app.state.pool.acquire()
    return db


def database(request: Request) -> Iterator[Database]:
    db = acquire(request)
    try:
        yield db
    finally:
        db.close()


DB = Annotated[Database, Depends(database)]


def environment(request: Request) -> Mapping[str, str]:
    """The mapping provider configs are rendered from: the server process's environment unless injected."""
    env: Mapping[str, str] = request.app.state.env
    return env


Env = Annotated[Mapping[str, str], Depends(environment)]
