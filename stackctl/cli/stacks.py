"""`stackctl stacks ...`: the registered stacks, their providers and resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from stackctl.cli.db import open_db
from stackctl.cli.options import IgnoreNotFoundOpt
from stackctl.cli.output import Format, OutputOpt, emit

stacks_app = typer.Typer(help="Registered stacks.", no_args_is_help=True)


@stacks_app.command("list")
def stacks_list(ctx: typer.Context, output: OutputOpt = Format.table) -> None:
    """List registered stacks.

    Example: stackctl stacks list -o json
    """
    from stackctl.registry import records

    with open_db(ctx, create=False) as db:
        rows = records.list_stacks(db)
    emit(
        {"object": "list", "data": rows},
        output,
        columns=[
            ("NAME", "name"),
            ("CURRENT", "current"),
            ("PROVIDERS", "providers"),
            ("RESOURCES", "resources"),
            ("SOURCE", "source"),
        ],
    )


@stacks_app.command("use")
def stacks_use(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The stack to select.", show_default=False)] = None,
    none: Annotated[bool, typer.Option("--none", help="Select no stack.")] = False,
    output: OutputOpt = Format.table,
) -> None:
    """Select the stack that registry commands act on without --stack (kept in the database).

    --stack and $STACKCTL_STACK still win. With several stacks and none selected, list commands list
    every stack's resources and commands that write ask for --stack.

    Example: stackctl stacks use my-stack
    """
    from stackctl.errors import UsageError
    from stackctl.registry import records

    if (name is None) == (not none):
        raise UsageError("give a stack NAME or --none")
    with open_db(ctx) as db:
        records.use_stack(db, name)
    emit({"current": name}, output)


@stacks_app.command("show")
def stacks_show(
    ctx: typer.Context,
    name: str,
    output: OutputOpt = Format.yaml,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print the defaults of secret fields in clear.")
    ] = False,
) -> None:
    """Show a stack: its providers (unrendered config, as registered) and resources.

    The defaults of secret fields (`${env.KEY:=...}`) print masked unless --show-secrets.

    Example: stackctl stacks show my-stack -o json
    """
    from stackctl.registry import records

    with open_db(ctx, create=False) as db:
        body = records.show_stack(db, name)
    emit(body if show_secrets else _masked(body), output)


def _masked(body: dict[str, Any]) -> dict[str, Any]:
    """The stack with the literal text of secret fields masked: by name, or marked by their schema."""
    import os

    from stackctl.catalogue.stack import catalogue_for
    from stackctl.config.secrets import redact

    catalogue = catalogue_for(os.environ)
    providers = []
    for provider in body.get("providers", []):
        marked = set(catalogue.secret_fields(provider["api"], provider["provider_type"]))
        config = redact(provider["config"], _top_level_in(marked))
        providers.append({**provider, "config": config})
    masked: dict[str, Any] = redact({**body, "providers": providers})
    return masked


@stacks_app.command("delete")
def stacks_delete(
    ctx: typer.Context,
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    ignore_not_found: IgnoreNotFoundOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """Delete a stack with its providers and resources.

    On a terminal it asks first unless --yes; it never asks when stdin is not a terminal (scripts).

    Example: stackctl stacks delete my-stack --yes
    """
    import sys

    from stackctl.cli.options import missing_ok
    from stackctl.errors import InterruptedByUser
    from stackctl.registry import records

    with missing_ok(ignore_not_found):
        with open_db(ctx, create=False) as db:
            if not yes and sys.stdin.isatty():
                body = records.show_stack(db, name)
                question = (
                    f"delete stack {name!r} with {len(body['providers'])} providers and "
                    f"{len(body['resources'])} resources?"
                )
                if not typer.confirm(question, default=False, err=True):
                    raise InterruptedByUser(f"stack {name!r} not deleted")
            records.delete_stack(db, name)
        emit({"name": name, "deleted": True}, output)


def _top_level_in(names: set[str]) -> Callable[[tuple[str | int, ...]], bool]:
    return lambda path: len(path) == 1 and path[0] in names
