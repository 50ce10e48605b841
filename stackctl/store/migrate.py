"""Named schema migrations and the database status report.

Invariants:
- `MIGRATIONS` is append-only: a shipped migration is never edited, renamed or reordered; a schema change
  is a new entry at the end. Names start with a zero-padded number so they sort in order.
- Each migration runs in its own `BEGIN IMMEDIATE` transaction together with its row in
  `schema_migrations`, so a failed migration leaves nothing behind and two processes never apply the
  same migration twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from stackctl.store.sqlite.connection import Database


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


MIGRATIONS: list[Migration] = [
    Migration(
        "0001_conversations",
        """
        CREATE TABLE conversations (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            metadata   TEXT    NOT NULL DEFAULT '{}'
        );
        CREATE TABLE conversation_items (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            id              TEXT    NOT NULL,
            type            TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            data            TEXT    NOT NULL
        );
        CREATE UNIQUE INDEX conversation_items_by_seq ON conversation_items(conversation_id, seq);
        CREATE UNIQUE INDEX conversation_items_by_id ON conversation_items(conversation_id, id);
        """,
    ),
    Migration(
        "0002_registry",
        """
        CREATE TABLE stacks (
            name       TEXT PRIMARY KEY,
            source     TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE stack_providers (
            stack         TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
            api           TEXT NOT NULL,
            provider_id   TEXT NOT NULL,
            provider_type TEXT NOT NULL,
            config        TEXT NOT NULL,
            PRIMARY KEY (stack, api, provider_id)
        );
        CREATE TABLE resources (
            seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
            stack                TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
            kind                 TEXT NOT NULL,
            identifier           TEXT NOT NULL,
            provider_id          TEXT NOT NULL,
            provider_resource_id TEXT,
            spec                 TEXT NOT NULL,
            created_at           INTEGER NOT NULL,
            updated_at           INTEGER NOT NULL,
            UNIQUE (stack, kind, identifier)
        );
        CREATE INDEX resources_by_kind ON resources(kind, identifier);
        """,
    ),
    Migration(
        "0003_responses",
        """
        CREATE TABLE responses (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            model      TEXT    NOT NULL,
            status     TEXT    NOT NULL,
            data       TEXT    NOT NULL
        );
        CREATE INDEX responses_by_model ON responses(model, seq);
        CREATE TABLE response_input_items (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            response_id TEXT    NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
            id          TEXT    NOT NULL,
            type        TEXT    NOT NULL,
            data        TEXT    NOT NULL
        );
        CREATE UNIQUE INDEX response_input_items_by_seq ON response_input_items(response_id, seq);
        CREATE INDEX response_input_items_by_id ON response_input_items(response_id, id);
        """,
    ),
    Migration(
        "0004_current_stack",
        """
        CREATE TABLE current_stack (
            id    INTEGER PRIMARY KEY CHECK (id = 1),
            stack TEXT    NOT NULL REFERENCES stacks(name) ON DELETE CASCADE
        );
        """,
    ),
]

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""


def split_statements(sql: str) -> list[str]:
    """Split a script into statements; `executescript` would commit behind our back."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def applied_names(db: Database) -> list[str]:
    if not _has_table(db, "schema_migrations"):
        return []
    rows = db.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    return [row[0] for row in rows]


def migrate(db: Database, *, upto: str | None = None, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations in order (stopping after `upto` if given); return the names applied."""
    plan = MIGRATIONS if migrations is None else migrations
    if upto is not None and upto not in {m.name for m in plan}:
        raise ValueError(f"unknown migration {upto!r}")
    done: list[str] = []
    present = set(applied_names(db))
    if all(m.name in present for m in plan):
        return done  # the common case: no write lock taken
    with db.transaction():
        db.execute(_LEDGER)
    for migration in plan:
        if migration.name not in present:
            with db.transaction():
                # Re-checked under the write lock: another process may have applied it meanwhile.
                already = db.execute(
                    "SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)
                ).fetchone()
                if already is None:
                    for statement in split_statements(migration.sql):
                        db.execute(statement)
                    db.execute("INSERT INTO schema_migrations (name) VALUES (?)", (migration.name,))
                    done.append(migration.name)
        if migration.name == upto:
            break
    return done


@dataclass
class Status:
    path: str
    schema_version: str | None
    applied: list[dict[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)

    def to_wire(self) -> dict[str, object]:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "applied": self.applied,
            "pending": self.pending,
            "tables": self.tables,
        }


def status(db: Database) -> Status:
    """Where the database is, which migrations it has and lacks, and how many rows each table holds."""
    applied: list[dict[str, str]] = []
    if _has_table(db, "schema_migrations"):
        rows = db.execute("SELECT name, applied_at FROM schema_migrations ORDER BY name").fetchall()
        applied = [{"name": name, "applied_at": at} for name, at in rows]
    names = {entry["name"] for entry in applied}
    tables = {
        name: int(db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - names from sqlite_master
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    }
    return Status(
        path=str(db.path),
        schema_version=applied[-1]["name"] if applied else None,
        applied=applied,
        pending=[m.name for m in MIGRATIONS if m.name not in names],
        tables=tables,
    )


def _has_table(db: Database, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None
