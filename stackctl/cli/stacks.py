"""`stackctl stacks ...`: the registered stacks, their providers and resources."""

from __future__ import annotations

import typer

from stackctl.cli.db import open_db
from stackctl.cli.output import Format, OutputOpt, emit

stacks_app = typer.Typer(help="Registered stacks.", no_args_is_help=True)


@stacks_app.command("list")
def stacks_list(ctx: typer.Context, output: OutputOpt = Format.table) -> None:
    """List registered stacks.

    Example: stackctl stacks list -o json
    """
    from stackctl.store import registry as store

    with open_db(ctx) as db:
        rows = []
        for name in store.stack_names(db):
            info = store.get_stack(db, name) or {}
            info["providers"] = len(store.providers(db, name))
            info["resources"] = len(store.resources(db, name))
            rows.append(info)
    emit(
        {"object": "list", "data": rows},
        output,
        columns=[
            ("NAME", "name"),
            ("PROVIDERS", "providers"),
            ("RESOURCES", "resources"),
            ("SOURCE", "source"),
        ],
    )


@stacks_app.command("show")
def stacks_show(ctx: typer.Context, name: str, output: OutputOpt = Format.yaml) -> None:
    """Show a stack: its providers (unrendered config) and resources.

    Example: stackctl stacks show my-stack -o json
    """
    from stackctl.registry.apply import require_stack, resource_view
    from stackctl.store import registry as store

    with open_db(ctx) as db:
        require_stack(db, name)
        body = {
            **(store.get_stack(db, name) or {}),
            "providers": store.providers(db, name),
            "resources": [resource_view(r) for r in store.resources(db, name)],
        }
    emit(body, output)


@stacks_app.command("delete")
def stacks_delete(ctx: typer.Context, name: str, output: OutputOpt = Format.table) -> None:
    """Delete a stack with its providers and resources.

    Example: stackctl stacks delete my-stack
    """
    from stackctl.registry.apply import require_stack
    from stackctl.store import registry as store

    with open_db(ctx) as db:
        require_stack(db, name)
        with db.transaction():
            store.delete_stack(db, name)
    emit({"name": name, "deleted": True}, output)
