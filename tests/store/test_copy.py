"""`db copy`: every row from one database into an empty other, across backends, verified, all or nothing."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from stackctl.conversations import service as core
from stackctl.errors import ConflictError
from stackctl.store import registry
from stackctl.store.copy import copy_database
from stackctl.store.database import Database
from stackctl.store.open import open_database
from tests.runconfigs import dump_tables

# The figure is 100,000 items; CI keeps it, a quick local run may set fewer.
BIG_ITEMS = int(os.environ.get("STACKCTL_TEST_COPY_ITEMS", "100000"))


def fill(db: Database, items: int, conversations: int = 10) -> None:
    """Conversations with `items` items in all, a stack with resources, and a stored response."""
    convs = [
        core.create_conversation(db, {"n": str(c)}, [{"type": "message", "role": "user", "content": "first"}])
        for c in range(conversations)
    ]
    rows = []
    for n in range(items - conversations):
        conv = convs[n % conversations].id
        data = {
            "type": "message",
            "id": f"msg_{n:048x}",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_text", "text": f"item {n} — ünïcode ✓ 100% ?"}],
        }
        rows.append((conv, data["id"], "message", 1_700_000_000 + n, json.dumps(data, ensure_ascii=False)))
    with db.transaction():
        db.executemany(
            "INSERT INTO conversation_items (conversation_id, id, type, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        registry.upsert_stack(db, "team", "/srv/run.yaml", 1)
        registry.put_provider(
            db,
            "team",
            {
                "api": "inference",
                "provider_id": "p",
                "provider_type": "remote::openai",
                "config": {"api_key": "${env.OPENAI_API_KEY}"},
            },
        )
        for m in range(5):
            registry.put_resource(
                db,
                {
                    "stack": "team",
                    "kind": "model",
                    "identifier": f"p/m{m}",
                    "provider_id": "p",
                    "provider_resource_id": f"m{m}",
                    "spec": {"model_id": f"m{m}"},
                },
                2,
            )
        db.execute(
            "INSERT INTO responses (id, created_at, model, status, data) VALUES (?, ?, ?, ?, ?)",
            ("resp_" + "1" * 48, 3, "p/m0", "completed", '{"id": "resp_x"}'),
        )
        db.execute(
            "INSERT INTO response_input_items (response_id, id, type, data) VALUES (?, ?, ?, ?)",
            ("resp_" + "1" * 48, "msg_1", "message", "{}"),
        )


def export(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows for name, rows in dump_tables(db).items() if name != "schema_migrations"}


def test_a_copy_to_postgresql_and_back_is_identical(tmp_path: Path, pg_location: str) -> None:
    source_path = str(tmp_path / "source.db")
    with open_database(source_path) as source:
        fill(source, BIG_ITEMS)
        original = export(source)
    began = time.perf_counter()
    with open_database(source_path) as source, open_database(pg_location) as pg:
        there = copy_database(source, pg)
        assert export(pg) == original
    with open_database(pg_location) as pg, open_database(str(tmp_path / "back.db")) as back:
        again = copy_database(pg, back)
        assert export(back) == original
    elapsed = time.perf_counter() - began
    assert there.tables == again.tables
    assert there.tables["conversation_items"] == BIG_ITEMS
    print(f"\ncopy of {BIG_ITEMS} items SQLite -> PostgreSQL -> SQLite: {elapsed:.1f}s")


def test_new_rows_sort_after_copied_ones(tmp_path: Path, db_location: str) -> None:
    source_path = str(tmp_path / "source.db")
    with open_database(source_path) as source:
        fill(source, 50, conversations=2)
    with open_database(source_path) as source, open_database(db_location) as target:
        copy_database(source, target)
        conv_id = core.list_conversations(target, order="asc").data[0].id
        core.add_items(target, conv_id, [{"type": "message", "role": "user", "content": "after the copy"}])
        last = core.list_items(target, conv_id, limit=1, order="desc").data[0]
        assert last.content[0].text == "after the copy"
        assert core.create_conversation(target).id == core.list_conversations(target, limit=1).data[0].id


def test_a_target_with_data_is_refused_and_left_alone(tmp_path: Path, db_location: str) -> None:
    source_path = str(tmp_path / "source.db")
    with open_database(source_path) as source:
        fill(source, 20, conversations=2)
    with open_database(db_location) as target:
        core.create_conversation(target, {"mine": "yes"})
        before = export(target)
    with open_database(source_path) as source, open_database(db_location) as target:
        with pytest.raises(ConflictError) as caught:
            copy_database(source, target)
        assert caught.value.exit_code == 5
        assert export(target) == before


def test_db_copy_command(cli: Any, tmp_path: Path, db_location: str) -> None:
    source_path = str(tmp_path / "source.db")
    with open_database(source_path) as source:
        fill(source, 30, conversations=3)
    result = cli("db", "copy", source_path, db_location, "-o", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["tables"]["conversation_items"] == 30
    assert report["rows"] == sum(report["tables"].values())
    assert "********" not in report["target"] or db_location.startswith("postgresql")
    again = cli("db", "copy", source_path, db_location)
    assert again.exit_code == 5
    assert again.stderr.startswith("error: target database")
    same = cli("db", "copy", source_path, source_path)
    assert same.exit_code == 2


def test_db_copy_creates_no_source_that_does_not_exist(cli: Any, tmp_path: Path, db_location: str) -> None:
    """A source is only read: a SQLite file that is not there, or a PostgreSQL schema with no stackctl
    tables, stays so; there is nothing to copy."""
    from stackctl.store.open import connect

    if not db_location.startswith("postgresql"):
        assert not os.path.exists(db_location)
    target = tmp_path / "target.db"
    result = cli("db", "copy", db_location, str(target), "-o", "json")
    assert result.exit_code == 4, result.stderr  # a mistyped source is not an empty copy
    assert json.loads(result.stderr)["error"]["code"] == "database_not_found"
    assert not target.exists()  # nor is a target made for it
    if db_location.startswith("postgresql"):
        with connect(db_location) as db:
            assert db.tables() == []
    else:
        assert not os.path.exists(db_location)
