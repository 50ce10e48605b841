"""PostgreSQL for the tests: a server named by STACKCTL_TEST_PG_URL (`.ci/run` starts one), and a fresh
schema per test on it, so that every test starts from an empty database and none waits for CREATE DATABASE.

Without the variable, or without psycopg, or with the server unreachable, PostgreSQL tests skip with the
reason; in CI (CI=true) they fail instead, so that a broken set-up can never pass as green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

URL_VAR = "STACKCTL_TEST_PG_URL"


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


def with_schema(url: str, schema: str) -> str:
    """The URL with libpq's `options` set so that the connection's search_path is `schema`."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class Server:
    """One admin connection to the test server; it creates and drops the per-test schemas."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=5)

    def fresh(self) -> tuple[str, str]:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        self.conn.execute(f'CREATE SCHEMA "{schema}"')
        return schema, with_schema(self.url, schema)

    def drop(self, schema: str) -> None:
        try:
            self.conn.execute("SET lock_timeout = '5s'")
            self.conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        except Exception:  # noqa: S110 - a schema left behind is harmless on a throwaway server
            pass

    def close(self) -> None:
        self.conn.close()


def connect_server() -> Server | str:
    """The test server, or why there is none."""
    url = os.environ.get(URL_VAR)
    if not url:
        return f"set {URL_VAR}=postgresql://user@host:port/dbname (as .ci/run does)"
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'stackctl[postgres]')"
    try:
        return Server(url)
    except psycopg.Error as exc:
        return f"cannot connect to {URL_VAR}: {str(exc).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server | str]:
    server = connect_server()
    yield server
    if isinstance(server, Server):
        server.close()


@pytest.fixture
def pg_location(pg_server: Server | str) -> Iterator[str]:
    """A location (URL) of a new, empty PostgreSQL database (a schema of its own) for this test."""
    if isinstance(pg_server, str):
        unavailable(pg_server)
        raise AssertionError("unreachable")
    schema, url = pg_server.fresh()
    yield url
    pg_server.drop(schema)
