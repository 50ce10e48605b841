"""`stackctl db ...`: where the database is and which schema it has; `open_db` for every command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from stackctl.cli.output import Format, OutputOpt

if TYPE_CHECKING:
    from stackctl.store.sqlite.connection import Database

app = typer.Typer(help="Inspect and migrate the stackctl database.", no_args_is_help=True)


def open_db(ctx: typer.Context, *, migrate: bool = True, create: bool = True) -> Database:
    """The database named by `--db`, `STACKCTL_DB` or the default path, at the newest schema.

    `create=False` (commands that only read, and deletes): a database that does not exist stays absent,
    with its directories; an empty one in memory is used, so lists are empty and gets not found, and a
    notice on stderr names the path looked at.
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
    from stackctl.store.sqlite.connection import connect, open_database

    location = db_location(os.environ, db)
    if notice and not create and "://" not in location and not os.path.exists(location):
        import sys

        sys.stderr.write(f"notice: no database at {location}: nothing is stored yet\n")
    return open_database(location, create=create) if migrate else connect(location, create=create)


@app.command("status")
def status_cmd(ctx: typer.Context, output: OutputOpt = Format.table) -> None:
    """Show the database path, schema version, applied and pending migrations, and rows per table.

    Example: stackctl db status -o json
    """
    from stackctl.cli.output import emit
    from stackctl.store.migrate import status

    with open_db(ctx, migrate=False, create=False) as db:
        report = status(db)
    if output.is_table:
        rows = [
            {"field": "path", "value": report.path},
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
