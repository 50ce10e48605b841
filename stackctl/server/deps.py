"""Per-request dependencies: a database handle of its own for every request, and the environment.

Handles come from the worker process's pool (`store.open.open_pool`: psycopg_pool on PostgreSQL, kept
SQLite connections otherwise). Each request holds one handle alone for its duration, so its transaction
stays separate and no connection is used by two threads at once; closing it gives it back to the pool. On
PostgreSQL the handle borrows a pool connection only for each statement or transaction (see
`store.postgres.connection.PooledDatabase`), so a request that waits on something else holds none.

The dependency is async, so taking and giving back a handle costs no thread hop: on SQLite both are a list
pop and push under a lock (a new connection is opened only while the pool grows); on PostgreSQL neither
touches the network. `read` serves a read that takes no lock, with its own handle and no dependency: on the
event loop for SQLite (a WAL read does not wait on writers), in the thread pool for PostgreSQL (its
statements wait on the network). `write` runs a call that may wait on the lock in the thread pool, handle
and all, in one hop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from stackctl.store.database import Database

P = ParamSpec("P")
T = TypeVar("T")


def acquire(request: Request) -> Database:
    """A handle from this app's pool; the caller closes it (which gives back what it holds)."""
    db: Database = request.app.state.pool.acquire()
    return db


async def database(request: Request) -> AsyncIterator[Database]:
    db = acquire(request)
    try:
        yield db
    finally:
        db.close()


DB = Annotated[Database, Depends(database)]


async def read(
    request: Request, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(db, *args, **kwargs)` with a connection of its own, for a read that takes no lock: inline on SQLite
    (no dependency machinery, no thread hop), in the thread pool otherwise (one hop, connection included)."""
    if request.app.state.backend == "sqlite":
        return _with_connection(request, fn, *args, **kwargs)
    return await run_in_threadpool(partial(_with_connection, request, fn, *args, **kwargs))


async def write(
    request: Request, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(db, *args, **kwargs)` with a connection of its own, in the thread pool (a write may wait on the
    lock): one hop for the connection and the call together, no dependency machinery."""
    return await run_in_threadpool(partial(_with_connection, request, fn, *args, **kwargs))


def _with_connection(
    request: Request, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    db = acquire(request)
    try:
        return fn(db, *args, **kwargs)
    finally:
        db.close()


def environment(request: Request) -> Mapping[str, str]:
    """The mapping provider configs are rendered from: the server process's environment unless injected."""
    env: Mapping[str, str] = request.app.state.env
    return env


Env = Annotated[Mapping[str, str], Depends(environment)]
