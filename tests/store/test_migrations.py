from __future__ import annotations

import hashlib
import json

import pytest

from stackctl.conversations import service as core
from stackctl.store import registry
from stackctl.store.migrate import Migration, applied_names, migrate, status
from stackctl.store.open import connect, open_database
from stackctl.store.postgres import schema as pg_schema
from stackctl.store.sqlite.schema import MIGRATIONS
from tests.runconfigs import dump_tables

# Shipped migrations are never edited: a change to one of these hashes is a bug. New migrations add a line.
SHIPPED = {
    "0001_conversations": "1230929ca3a91651ce35a4e2c4d1bd8e2fb659f68e2a9111a5d40abf9909c488",
    "0002_registry": "0b78f87dd07ae2ec442bb41f7296bd08a5713d2b038440a3274b4b047dd0d682",
}


SHIPPED_POSTGRES = {
    "0001_conversations": "af44e156b2bbfa1185a46fd9e00b614d5cb1534d86e381fabfd041bd5d51d586",
    "0002_registry": "942dff435464640e3504f8c76e0b460792784f86421270f0929a2cd73b3b484d",
    "0003_responses": "c20f7d1b9f84f489a2bf5ca38e9deb60b02092b790e402f4c7f14d2cbc961626",
}


def _digest(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def test_shipped_migrations_are_unchanged():
    by_name = {m.name: m.sql for m in MIGRATIONS}
    for name, digest in SHIPPED.items():
        assert _digest(by_name[name]) == digest, f"migration {name} was edited; add a new migration instead"


def test_shipped_postgresql_migrations_are_unchanged():
    by_name = {m.name: m.sql for m in pg_schema.MIGRATIONS}
    for name, digest in SHIPPED_POSTGRES.items():
        assert _digest(by_name[name]) == digest, f"migration {name} was edited; add a new migration instead"


def test_both_backends_ship_the_same_migrations_in_order():
    assert [m.name for m in pg_schema.MIGRATIONS] == [m.name for m in MIGRATIONS]


def test_migration_names_are_unique_and_ordered():
    names = [m.name for m in MIGRATIONS]
    assert len(set(names)) == len(names)
    assert names == sorted(names)
    assert names[0] == "0001_conversations"


def test_fresh_database_records_every_migration(db_location):
    with open_database(db_location) as db:
        assert applied_names(db) == [m.name for m in MIGRATIONS]
        report = status(db)
    assert report.pending == []
    assert report.schema_version == MIGRATIONS[-1].name
    assert report.tables["schema_migrations"] == len(MIGRATIONS)


def test_reopening_applies_nothing(db_location):
    path = db_location
    open_database(path).close()
    with connect(path) as db:
        assert migrate(db) == []


def test_status_of_an_empty_database_lists_everything_pending(db_location):
    with connect(db_location) as db:
        report = status(db)
    assert report.schema_version is None
    assert report.pending == [m.name for m in MIGRATIONS]


def test_upgrade_from_the_first_migration_keeps_data(db_location):
    """A database written by the first release (schema 0001 only) upgrades to the newest schema intact.

    Data is written with 0001's own SQL, so this test holds however many migrations follow.
    """
    path = db_location
    conv_id = "conv_" + "a" * 48
    with connect(path) as db:
        assert migrate(db, upto="0001_conversations") == ["0001_conversations"]
        with db.transaction():
            db.execute(
                "INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)",
                (conv_id, 1700000000, json.dumps({"team": "infra"})),
            )
            for n in range(3):
                item = {
                    "type": "message",
                    "id": f"msg_{n}",
                    "role": "user",
                    "status": "completed",
                    "content": [{"type": "input_text", "text": f"hello {n}"}],
                }
                db.execute(
                    "INSERT INTO conversation_items (conversation_id, id, type, created_at, data) "
                    "VALUES (?, ?, 'message', 1700000000, ?)",
                    (conv_id, item["id"], json.dumps(item)),
                )
    old_rows = {t: rows for t, rows in dump_tables(path).items() if t.startswith("conversation")}
    with open_database(path) as db:
        assert status(db).pending == []
        assert {t: rows for t, rows in dump_tables(path).items() if t.startswith("conversation")} == old_rows
        # the registry tables of later migrations exist and take rows next to the old data
        with db.transaction():
            registry.upsert_stack(db, "s", None, 1)
            registry.put_resource(
                db, {"stack": "s", "kind": "model", "identifier": "m", "provider_id": "p", "spec": {}}, 1
            )
        assert [r["identifier"] for r in registry.resources(db, "s")] == ["m"]
        conversation = core.get_conversation(db, conv_id)
        assert conversation.metadata == {"team": "infra"}
        assert conversation.created_at == 1700000000
        texts = [item.content[0].text for item in core.all_items(db, conv_id)]
        assert texts == ["hello 0", "hello 1", "hello 2"]
        # and the upgraded database still takes new items after the old ones
        core.add_items(
            db, conv_id, [{"type": "message", "role": "assistant", "content": "hi"}], now=lambda: 1
        )
        assert [i.id for i in core.all_items(db, conv_id)][:3] == ["msg_0", "msg_1", "msg_2"]


def test_a_failing_migration_leaves_nothing_behind(db_location):
    plan = [
        *(pg_schema.MIGRATIONS if db_location.startswith("postgresql") else MIGRATIONS),
        Migration("9998_ok_table", "CREATE TABLE ok_table (v INTEGER);"),
        Migration("9999_broken", "CREATE TABLE half (v INTEGER);\nINSERT INTO no_such_table VALUES (1);"),
    ]
    with connect(db_location) as db:
        with pytest.raises(Exception, match="no_such_table"):
            migrate(db, migrations=plan)
        names = applied_names(db)
        tables = set(db.tables())
    assert "9998_ok_table" in names
    assert "9999_broken" not in names
    assert "half" not in tables


def test_upgrade_to_responses_keeps_registry_and_conversations(db_location):
    from stackctl.store import registry

    location = db_location
    db = connect(location)
    migrate(db, upto="0002_registry")
    conversation = core.create_conversation(
        db, {"k": "v"}, [{"type": "message", "role": "user", "content": "hi"}]
    )
    with db.transaction():
        registry.upsert_stack(db, "demo", None, 1)
    db.close()
    with open_database(location) as upgraded:
        assert "0003_responses" in applied_names(upgraded)
        assert core.get_conversation(upgraded, conversation.id).metadata == {"k": "v"}
        assert len(list(core.all_items(upgraded, conversation.id))) == 1
        assert registry.stack_names(upgraded) == ["demo"]
        assert upgraded.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0


def test_upgrade_to_current_stack_keeps_the_registry(tmp_path):
    from stackctl.store import registry

    location = str(tmp_path / "old.db")
    db = connect(location)
    migrate(db, upto="0003_responses")
    with db.transaction():
        registry.upsert_stack(db, "demo", None, 1)
    db.close()
    with open_database(location) as upgraded:
        assert "0004_current_stack" in applied_names(upgraded)
        assert registry.stack_names(upgraded) == ["demo"]
        assert registry.current_stack(upgraded) is None
        with upgraded.transaction():
            registry.set_current_stack(upgraded, "demo")
        assert registry.current_stack(upgraded) == "demo"
        with upgraded.transaction():
            registry.delete_stack(upgraded, "demo")
        assert registry.current_stack(upgraded) is None  # the selection goes with its stack
