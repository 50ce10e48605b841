"""Per-request dependencies: a database connection of its own for every request, and the environment.

Connections come from the worker process's pool (`store.open.open_pool`: psycopg_pool on PostgreSQL, kept
SQLite connections otherwise). Each request holds one connection alone for its duration, so its transaction
stays separate and no connection is used by two threads at once; closing it gives it back to the pool.

The dependency is async, so taking and giving back a connection costs no thread hop: on SQLite both are a
list pop and push under a lock (a new connection is opened only while the pool grows); on PostgreSQL, where
they may wait on the network, they run in the thread pool. `read` serves a read that takes no lock, with its
own connection and no dependency: on the event loop for SQLite (a WAL read does not wait on writers), in the
thread pool for PostgreSQL. `write` runs a call that may wait on the lock in the thread pool, connection
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
    """A connection from this app's pool; the caller closes it (which returns it to the pool)."""
    db: Database = request.app.state.pool.acquire()
    return db


async def database(request: Request) -> AsyncIterator[Database]:
    if request.app.state.backend == "sqlite":
        db = acquire(request)
        try:
            yield db
        finally:
            db.close()
        return
    db = await run_in_threadpool(acquire, request)
    try:
        yield db
    finally:
        await run_in_threadpool(db.close)


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
