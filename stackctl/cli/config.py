"""`stackctl config ...`: render, vars, validate."""

from __future__ import annotations

import typer

app = typer.Typer(help="Render, inspect and validate run configs.", no_args_is_help=True)
