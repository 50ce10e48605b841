"""PostgreSQL storage faults after connect are classified as SQLite's are: a lock held past the lock
timeout is exit 5 / HTTP 503 with Retry-After; a read-only database, a refused connection, a failed
authentication, a full disk or corrupt data is exit 3 / HTTP 503 naming the location (password masked)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from stackctl.errors import EXIT_CONFLICT, EXIT_INVALID
from stackctl.store import faults

psycopg = pytest.importorskip("psycopg")

from stackctl.store.postgres import connection  # noqa: E402


def _with_option(url: str, option: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} {option}".strip()
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), parts.fragment)
    )


@pytest.fixture
def pg_locked(pg_location: str, cli: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated PostgreSQL test database whose writers' lock another connection holds; a short timeout."""
    monkeypatch.setenv("STACKCTL_DB", pg_location)
    assert cli("conv", "create").exit_code == 0  # migrated before the lock is taken
    monkeypatch.setattr(connection, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = psycopg.connect(pg_location, autocommit=True)
    holder.execute("BEGIN")
    holder.execute(connection._WRITERS_LOCK)
    try:
        yield pg_location
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_held_past_the_lock_timeout_is_exit_5(cli: Any, pg_locked: str) -> None:
    result = cli("conv", "create", "--metadata", "k=v")
    assert result.exit_code == EXIT_CONFLICT, result.stderr
    assert result.stderr.startswith(f"error: database is busy: {connection.mask_location(pg_locked)} ")
    assert "lock timeout" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = cli("conv", "create", "-o", "json")
    assert json.loads(as_json.stderr)["error"]["code"] == "database_busy"


def test_a_lock_held_past_the_lock_timeout_is_503_with_retry_after(pg_locked: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stackctl.server.app import create_app

    app = create_app(pg_locked)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/v1/conversations", json={"metadata": {"k": "v"}})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "database_busy"


def test_a_read_only_database_is_exit_3_naming_it(cli: Any, pg_location: str) -> None:
    assert cli("conv", "create", env={"STACKCTL_DB": pg_location}).exit_code == 0  # migrated
    read_only = _with_option(pg_location, "-cdefault_transaction_read_only=on")
    result = cli("conv", "create", "--metadata", "k=v", env={"STACKCTL_DB": read_only})
    assert result.exit_code == EXIT_INVALID, result.stderr
    assert "the database is read-only" in result.stderr
    assert connection.mask_location(read_only) in result.stderr
    assert "Traceback" not in result.stderr
    listed = cli("conv", "list", "-o", "json", env={"STACKCTL_DB": pg_location})
    assert len(json.loads(listed.stdout)["data"]) == 1  # nothing written by the refused command


def test_a_nul_in_text_is_exit_3_and_writes_nothing(cli: Any, pg_location: str, tmp_path: Any) -> None:
    # SQLite stores a NUL in a text column; PostgreSQL cannot (psycopg refuses it before the server sees it).
    config = tmp_path / "run.yaml"
    config.write_text(
        "version: 2\nimage_name: nul\napis: [inference]\nproviders:\n  inference:\n"
        "  - provider_id: o\n    provider_type: remote::ollama\n    config: {url: 'http://127.0.0.1:9'}\n"
        'models:\n- model_id: "m1\\0x"\n  provider_id: o\n'
    )
    result = cli("register", str(config), env={"STACKCTL_DB": pg_location})
    assert result.exit_code == EXIT_INVALID, result.stderr
    assert "text holds a NUL character, which PostgreSQL cannot store" in result.stderr
    listed = cli("stacks", "list", "-o", "json", env={"STACKCTL_DB": pg_location})
    assert json.loads(listed.stdout)["data"] == []  # the stack's transaction rolled back whole


def test_a_refused_connection_is_exit_3_with_the_password_masked(cli: Any, pg_location: str) -> None:
    parts = urlsplit(pg_location)
    url = urlunsplit((parts.scheme, "someone:hunter2pw@127.0.0.1:1", parts.path, "", ""))
    result = cli("conv", "list", env={"STACKCTL_DB": url})
    assert result.exit_code == EXIT_INVALID, result.stderr
    assert "hunter2pw" not in result.stderr
    assert "someone:********@127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


URL = "postgresql://app:s3cretpw@db.example:5432/stack"


@pytest.mark.parametrize(
    ("error", "busy", "cause"),
    [
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), True, None),
        (psycopg.errors.SerializationFailure("could not serialize access"), True, None),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True, None),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), True, None),
        (
            psycopg.errors.DiskFull("could not extend file: No space left on device"),
            False,
            "the disk is full",
        ),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), False, "the database is read-only"),
        (psycopg.errors.InvalidPassword("password authentication failed"), False, "authentication failed"),
        (psycopg.errors.DataCorrupted("invalid page in block 3"), False, "the data is corrupt"),
        (psycopg.errors.AdminShutdown("terminating connection"), False, "the server is shutting down"),
        (psycopg.OperationalError("connection refused"), False, "the connection failed"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_postgres_fault_is_classified(error: Exception, busy: bool, cause: str | None) -> None:
    fault = faults.classify(error, URL)
    assert fault is not None
    assert "s3cretpw" not in fault.message
    assert "app:********@db.example:5432/stack" in fault.message
    if busy:
        assert (fault.exit_code, fault.code) == (EXIT_CONFLICT, "database_busy")
        assert fault.message.startswith("database is busy: ")
    else:
        assert (fault.exit_code, fault.code) == (EXIT_INVALID, "storage_fault")
        assert cause is not None and cause in fault.message


def test_other_postgres_errors_are_not_storage_faults() -> None:
    assert faults.classify(psycopg.errors.UndefinedTable("no such table"), URL) is None
    assert faults.classify(psycopg.errors.UniqueViolation("duplicate key"), URL) is None
