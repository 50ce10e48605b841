"""Storage faults after connect have their own exit codes and HTTP statuses, one line, no traceback; the
transaction that met them wrote nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from stackctl.errors import EXIT_CONFLICT, EXIT_INVALID
from stackctl.store import faults
from stackctl.store.sqlite import connection


@pytest.fixture
def locked(isolated_env: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test database, with another connection holding its write lock; a short busy timeout."""
    assert cli("conv", "create").exit_code == 0  # the database exists, migrated
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_SECONDS", 0.1)
    path = isolated_env / "stackctl.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield path
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_database_locked_past_the_busy_timeout_is_exit_5(cli: Any, locked: Path) -> None:
    result = cli("conv", "create", "--metadata", "k=v")
    assert result.exit_code == EXIT_CONFLICT, result.stderr
    assert result.stderr.startswith(
        f"error: database is busy: {locked} stayed locked past the busy timeout\n"
    )
    assert "Traceback" not in result.stderr
    as_json = cli("conv", "create", "-o", "json")
    assert json.loads(as_json.stderr)["error"]["code"] == "database_busy"


def test_a_busy_database_is_503_with_retry_after(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stackctl.server.app import create_app

    path = isolated_env / "served.db"
    app = create_app(str(path))  # migrated before the lock is taken
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answer = client.post("/v1/conversations", json={"metadata": {"k": "v"}})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "database_busy"


def test_corrupt_pages_are_exit_3_naming_the_file(cli: Any, isolated_env: Path) -> None:
    created = cli("conv", "create", "-o", "json")
    conv_id = json.loads(created.stdout)["id"]
    for _ in range(10):
        batch = [f"user:{'x' * 2000}"] * 20
        assert (
            cli("conv", "items", "create", conv_id, *[a for m in batch for a in ("--message", m)]).exit_code
            == 0
        )
    path = isolated_env / "stackctl.db"
    with path.open("r+b") as handle:  # the schema stays readable; the pages of the items do not
        handle.seek(8 * 4096)
        handle.write(b"\xff" * 4096 * 40)
    result = cli("conv", "items", "list", conv_id, "--all")
    assert result.exit_code == EXIT_INVALID, result.stderr
    # Found when the database is opened (its schema check) or by the read (classified): exit 3 either way.
    assert str(path) in result.stderr
    assert "malformed" in result.stderr or "corrupt" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        ("database or disk is full", "the disk is full"),
        ("attempt to write a readonly database", "the file is read-only"),
        ("database disk image is malformed", "the file is corrupt"),
        ("disk I/O error", "an I/O error"),
    ],
)
def test_each_fault_is_named(message: str, cause: str) -> None:
    fault = faults.classify(sqlite3.OperationalError(message), "/data/x.db")
    assert fault is not None
    assert fault.exit_code == EXIT_INVALID
    assert fault.message == f"database /data/x.db: {cause} ({message})"


def test_other_errors_are_not_storage_faults() -> None:
    assert faults.classify(ValueError("database is locked"), "x.db") is None
    assert faults.classify(sqlite3.OperationalError("no such table: nope"), "x.db") is None


@pytest.fixture(params=["full", "read-only"])
def refusing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Called, makes every connection stackctl opens from then on meet a real SQLite refusal on write: the
    page count capped at what the file holds (SQLITE_FULL, as a full disk answers) or the connection
    query-only (SQLITE_READONLY, as a read-only file answers). Returns the cause the message must name."""
    pragma, cause = {
        "full": ("max_page_count = {pages}", "the disk is full"),
        "read-only": ("query_only = 1", "the file is read-only"),
    }[request.param]
    configure = connection._configure

    def refuse(conn: sqlite3.Connection) -> None:
        configure(conn)
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA {pragma.format(pages=pages)}")

    def start() -> str:
        monkeypatch.setattr(connection, "_configure", refuse)
        return cause

    return start


def _rows(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        conversations = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
        items = conn.execute("SELECT count(*) FROM conversation_items").fetchone()[0]
    return {"conversations": conversations, "items": items}


def test_a_full_or_read_only_database_is_exit_3_naming_the_file_and_writes_nothing(
    cli: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, refusing: Callable[[], str]
) -> None:
    created = cli("conv", "create", "-o", "json")
    conv_id = json.loads(created.stdout)["id"]
    path = isolated_env / "stackctl.db"
    before = _rows(path)
    cause = refusing()
    result = cli("conv", "items", "create", conv_id, *["--message", f"user:{'x' * 20000}"] * 5)
    assert result.exit_code == EXIT_INVALID, result.stderr
    assert result.stderr.startswith(f"error: database {path}: {cause} ("), result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr
    monkeypatch.undo()
    assert _rows(path) == before


def test_a_full_or_read_only_database_is_503_naming_the_file(
    cli: Any, isolated_env: Path, refusing: Callable[[], str]
) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stackctl.server.app import create_app

    conv_id = json.loads(cli("conv", "create", "-o", "json").stdout)["id"]
    path = isolated_env / "stackctl.db"
    before = _rows(path)
    cause = refusing()
    app = create_app(str(path))  # already migrated: opening it writes nothing
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            f"/v1/conversations/{conv_id}/items",
            json={"items": [{"type": "message", "role": "user", "content": "x" * 20000}] * 5},
        )
        read = client.get(f"/v1/conversations/{conv_id}")
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["message"].startswith(f"database {path}: {cause} ("), error
    assert "retry-after" not in answer.headers
    assert read.status_code == 200, read.text  # reads still served
    assert _rows(path) == before


_OPEN_AT = """
import sys, time
from stackctl.store.sqlite import connection
while time.time() < float(sys.argv[2]):
    pass
connection.connect(sys.argv[1]).close()
"""


def test_ten_processes_opening_a_new_database_at_once_all_open_it(tmp_path: Path) -> None:
    # Switching a new file to WAL was refused at once ("database is locked", no busy handler) when another
    # process had it open too: 6 in 400 openers failed before, none since. 20 rounds of 10 at once.
    import subprocess
    import sys
    import time

    failures = []
    for round_ in range(20):
        path = tmp_path / f"new{round_}.db"
        start = str(time.time() + 0.4)
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AT, str(path), start], stderr=subprocess.PIPE, text=True
            )
            for _ in range(10)
        ]
        failures += [p.communicate(timeout=60)[1] for p in openers if p.wait(timeout=60) != 0]
    assert failures == []
