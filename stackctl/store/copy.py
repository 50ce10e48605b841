"""Copy every row of one stackctl database into another, across backends (SQLite <-> PostgreSQL).

Invariants:
- Both databases are at the newest schema (the caller opens them with `open_database`).
- The target must hold no data (the migration ledger aside): a copy never merges (ConflictError, exit 5).
- The source is read inside its own write transaction, so no writer changes it mid-copy; the target is
  written in ONE transaction, and row counts are compared per table before it commits: a failed or short
  copy leaves the target as it was.
- `seq` values are copied as they are, so order and cursors survive; the target's sequences are moved past
  them afterwards (PostgreSQL), so new rows keep sorting after the copied ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stackctl.errors import ConflictError, InvalidInputError
from stackctl.store.database import Database
from stackctl.store.migrate import applied_names, count_rows

# Parents before children, so that foreign keys hold at every insert.
TABLE_ORDER = (
    "conversations",
    "conversation_items",
    "stacks",
    "stack_providers",
    "resources",
    "current_stack",
    "responses",
    "response_input_items",
)
LEDGER = "schema_migrations"
BATCH = 2000

Progress = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the table)


@dataclass
class CopyReport:
    source: str
    target: str
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_wire(self) -> dict[str, object]:
        return {"source": self.source, "target": self.target, "rows": self.rows, "tables": self.tables}


def data_tables(db: Database) -> list[str]:
    """The tables to copy, parents first; a table this version does not know is refused."""
    present = [name for name in db.tables() if name != LEDGER]
    unknown = sorted(set(present) - set(TABLE_ORDER))
    if unknown:
        raise InvalidInputError(
            f"{db.location} has tables this stackctl does not know: {', '.join(unknown)}",
            hint="copy with the stackctl version that wrote it",
        )
    return [name for name in TABLE_ORDER if name in present]


def _batches(db: Database, table: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    batch: list[tuple[Any, ...]] = []
    for row in db.execute(f'SELECT {quoted} FROM "{table}"'):  # noqa: S608 - names from the schema
        batch.append(tuple(row))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _columns(db: Database, table: str) -> list[str]:
    cursor = db.execute(f'SELECT * FROM "{table}" LIMIT 0')  # noqa: S608 - names from the schema
    return [str(d[0]) for d in cursor.description]


def count_data(db: Database) -> dict[str, int]:
    return {name: count_rows(db, name) for name in data_tables(db)}


def copy_database(source: Database, target: Database, progress: Progress | None = None) -> CopyReport:
    """Copy every data row of `source` into the empty `target`; return the rows per table."""
    if applied_names(source) != applied_names(target):
        raise InvalidInputError(
            f"{source.location} and {target.location} are at different schema versions",
            hint="run `stackctl db migrate` on both",
        )
    report = CopyReport(source=source.location, target=target.location)
    with source.transaction():
        counts = count_data(source)
        with target.transaction():
            filled = {name: n for name, n in count_data(target).items() if n}
            if filled:
                held = ", ".join(f"{name} ({n})" for name, n in filled.items())
                raise ConflictError(
                    f"target database {target.location} is not empty: {held}",
                    hint="copy into a new database",
                    code="target_not_empty",
                )
            for table, total in counts.items():
                _copy_table(source, target, table, total, progress)
            copied = count_data(target)
            short = {name: (n, copied.get(name, 0)) for name, n in counts.items() if copied.get(name, 0) != n}
            if short:
                lines = [f"{name}: {want} in the source, {got} copied" for name, (want, got) in short.items()]
                raise InvalidInputError("copy verification failed; nothing was written", details=lines)
    report.tables = counts
    return report


def _copy_table(
    source: Database, target: Database, table: str, total: int, progress: Progress | None
) -> None:
    columns = _columns(source, table)
    insert = (
        f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '  # noqa: S608
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    done = 0
    if progress is not None:
        progress(table, 0, total)
    for batch in _batches(source, table, columns):
        target.executemany(insert, batch)
        done += len(batch)
        if progress is not None:
            progress(table, done, total)
    if target.backend == "postgresql" and "seq" in columns:
        from stackctl.store.postgres.schema import sync_sequence

        sync_sequence(target, table)
