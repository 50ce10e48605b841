"""The migration runner and the database status report, backend-neutral.

Invariants:
- Each backend ships an ordered, append-only list of named migrations (`store.sqlite.schema`,
  `store.postgres.schema`): the same names in the same order, each in its own dialect. Names start with a
  zero-padded number so they sort in order.
- Each migration runs in its own transaction together with its row in `schema_migrations`, so a failed
  migration leaves nothing behind. The ledger is re-read inside that transaction, which holds the writers'
  lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL an advisory lock): processes that start together migrate once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackctl.store.database import Database


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


@dataclass(frozen=True)
class Dialect:
    """What the runner needs of a backend's schema module."""

    migrations: list[Migration]
    ledger: str


def dialect(db: Database) -> Dialect:
    if db.backend == "postgresql":
        from stackctl.store.postgres import schema as pg

        return Dialect(pg.MIGRATIONS, pg.LEDGER)
    from stackctl.store.sqlite import schema as lite

    return Dialect(lite.MIGRATIONS, lite.LEDGER)


def split_statements(sql: str) -> list[str]:
    """Split a script into statements (a script in one call would commit behind our back on SQLite)."""
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
    if "schema_migrations" not in db.tables():
        return []
    rows = db.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    return [str(row[0]) for row in rows]


def migrate(db: Database, *, upto: str | None = None, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations in order (stopping after `upto` if given); return the names applied."""
    plan_of = dialect(db)
    plan = plan_of.migrations if migrations is None else migrations
    if upto is not None and upto not in {m.name for m in plan}:
        raise ValueError(f"unknown migration {upto!r}")
    done: list[str] = []
    present = set(applied_names(db))
    if all(m.name in present for m in plan):
        return done  # the common case: no write lock taken
    for migration in plan:
        if migration.name not in present:
            with db.transaction():
                db.execute(plan_of.ledger)
                # Re-checked under the writers' lock: another process may have applied it meanwhile.
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
    backend: str
    location: str
    schema_version: str | None
    applied: list[dict[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)

    def to_wire(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "location": self.location,
            "schema_version": self.schema_version,
            "applied": self.applied,
            "pending": self.pending,
            "tables": self.tables,
        }


def count_rows(db: Database, table: str) -> int:
    return int(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608 - names from tables()


def status(db: Database) -> Status:
    """Which backend, where (password masked), which migrations it has and lacks, rows per table."""
    tables = db.tables()
    applied: list[dict[str, str]] = []
    if "schema_migrations" in tables:
        rows = db.execute("SELECT name, applied_at FROM schema_migrations ORDER BY name").fetchall()
        applied = [{"name": str(name), "applied_at": str(at)} for name, at in rows]
    names = {entry["name"] for entry in applied}
    return Status(
        backend=db.backend,
        location=db.location,
        schema_version=applied[-1]["name"] if applied else None,
        applied=applied,
        pending=[m.name for m in dialect(db).migrations if m.name not in names],
        tables={name: count_rows(db, name) for name in tables},
    )
