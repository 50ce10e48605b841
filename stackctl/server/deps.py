"""Per-request dependencies: a database connection of its own for every request, and the environment.

SQLite connections are cheap to open and must not be used by two threads at once; a connection per request
keeps every request's transaction separate while WAL lets readers and one writer proceed together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated

from fastapi import Depends, Request

from stackctl.store.sqlite.connection import Database, connect


def database(request: Request) -> Iterator[Database]:
    db = connect(request.app.state.db_location)
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
