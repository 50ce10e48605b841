"""`stackctl db ...`: which database, which schema, copying between databases; `open_db` for every group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stackctl.cli.output import Format, OutputOpt

if TYPE_CHECKING:
    from stackctl.store.copy import Progress
    from stackctl.store.database import Database

app = typer.Typer(help="Inspect, migrate and copy the stackctl database.", no_args_is_help=True)

# Copies smaller than this finish before a progress bar would be worth drawing.
PROGRESS_ROWS = 10_000


def open_db(ctx: typer.Context, *, migrate: bool = True, create: bool = True) -> Database:
    """The database named by `--db`, `STACKCTL_DB` or the default path, at the newest schema.

    `create=False` (commands that only read, dry runs, and deletes): a database that does not exist stays
    absent (a SQLite file, with its directories; on PostgreSQL, the tables of a schema that has none); an
    empty one stands in, so lists are empty and gets not found, and a notice on stderr names the location.
    """
    state = ctx.find_root().obj
    return database_at(getattr(state, "db", None), migrate=migrate, create=create)


def database_at(
    db: str | None, *, migrate: bool = True, create: bool = True, notice: bool = True
) -> Database:
    """The database of a `--db` value (None: `STACKCTL_DB` or the default path); see `open_db`.
    `notice=False` keeps quiet about a missing one (shell completion)."""
    import os

    from stackctl.paths import db_location
    from stackctl.store.open import connect, open_database

    location = db_location(os.environ, db)
    if notice and not create and "://" not in location and not os.path.exists(location):
        import sys

        sys.stderr.write(f"notice: no database at {location}: nothing is stored yet\n")
    database = open_database(location, create=create) if migrate else connect(location, create=create)
    if notice and database.stand_in and database.backend == "postgresql":
        import sys

        sys.stderr.write(f"notice: no stackctl tables at {database.location}: nothing is stored yet\n")
    return database


@app.command("status")
def status_cmd(ctx: typer.Context, output: OutputOpt = Format.table) -> None:
    """Show the backend, location (password masked), schema version, migrations and rows per table.

    Example: stackctl --db postgresql://me@db.internal/stackctl db status -o json
    """
    from stackctl.cli.output import emit
    from stackctl.store.migrate import status

    with open_db(ctx, migrate=False, create=False) as db:
        report = status(db)
    if output.is_table:
        rows = [
            {"field": "backend", "value": report.backend},
            {"field": "location", "value": report.location},
            {"field": "schema_version", "value": report.schema_version or "(empty)"},
            {"field": "applied", "value": ", ".join(m["name"] for m in report.applied) or "-"},
            {"field": "pending", "value": ", ".join(report.pending) or "-"},
            *({"field": f"rows.{name}", "value": count} for name, count in report.tables.items()),
        ]
        emit(rows, output, columns=[("FIELD", "field"), ("VALUE", "value")])
    else:
        emit(report, output)


@app.command("migrate")
def migrate_cmd(ctx: typer.Context, output: OutputOpt = Format.table) -> None:
    """Apply pending migrations (every other command also does this on open) and show the status.

    Example: stackctl --db ./team.db db migrate
    """
    from stackctl.cli.output import emit
    from stackctl.store.migrate import migrate, status

    with open_db(ctx, migrate=False) as db:
        applied = migrate(db)
        report = status(db)
    emit({"applied_now": applied, **report.to_wire()}, output)


@app.command("copy")
def copy_cmd(
    source: Annotated[str, typer.Argument(metavar="SRC", help="Database to copy from: a path or a URL.")],
    target: Annotated[str, typer.Argument(metavar="DST", help="Database to copy into; must hold no data.")],
    output: OutputOpt = Format.table,
) -> None:
    """Copy every conversation, response and registry row from SRC into the empty database DST.

    Either may be SQLite (a path) or PostgreSQL (postgresql://user@host:port/dbname). The target is
    written in one transaction and row counts are verified before it commits. A target that already
    holds data is refused (exit 5). Large copies show a progress bar on stderr.

    Example: stackctl db copy ~/.local/share/stackctl/stackctl.db postgresql://me@db.internal/stackctl
    """
    from stackctl.cli.output import emit
    from stackctl.errors import NotFoundError, UsageError
    from stackctl.store.copy import copy_database
    from stackctl.store.open import display, open_database

    if display(source) == display(target):
        raise UsageError("SRC and DST are the same database")
    # The source is only read: one that does not exist is not created, and there is nothing to copy.
    with open_database(source, create=False) as src:
        if src.stand_in:
            raise NotFoundError(
                f"no stackctl database at {display(source)}: nothing to copy", code="database_not_found"
            )
        with open_database(target) as dst, _progress() as progress:
            report = copy_database(src, dst, progress)
    if output is Format.table:
        rows = [{"table": name, "rows": n} for name, n in report.tables.items()]
        emit(rows, output, columns=[("TABLE", "table"), ("ROWS", "rows")])
    else:
        emit(report, output)


class _ProgressBar:
    """A rich progress bar on stderr, drawn only for tables big enough to wait for."""

    def __init__(self) -> None:
        self._bar: object | None = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> Progress:
        return self.update

    def update(self, table: str, done: int, total: int) -> None:
        if total < PROGRESS_ROWS:
            return
        from rich.console import Console
        from rich.progress import Progress as Bar

        if self._bar is None:
            bar = Bar(console=Console(stderr=True), transient=True)
            bar.start()
            self._bar = bar
        assert isinstance(self._bar, Bar)
        if table not in self._tasks:
            self._tasks[table] = self._bar.add_task(f"copying {table}", total=total)
        self._bar.update(self._tasks[table], completed=done)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            from rich.progress import Progress as Bar

            assert isinstance(self._bar, Bar)
            self._bar.stop()


def _progress() -> _ProgressBar:
    return _ProgressBar()
