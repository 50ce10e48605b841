"""The SQLite migrations, append-only: a shipped migration is never edited, renamed or reordered.

PostgreSQL has the same names in its own dialect (`store.postgres.schema`); a new migration is added to both.
"""

from __future__ import annotations

from stackctl.store.migrate import Migration

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
    Migration(
        "0005_models_by_provider_id",
        """
        CREATE INDEX resources_by_provider_resource_id ON resources(kind, provider_resource_id);
        """,
    ),
]

LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""

TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
