"""`stackctl conv ...`: OpenAI-compatible conversations (`conv items` lives in `conversation_items`).

Each command parses its options, calls one function of `stackctl.conversations.service`, hands the result to
the output module; JSON output is exactly the OpenAI wire shape. Heavy modules are imported inside commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stackctl.cli.conversation_items import items_app
from stackctl.cli.db import open_db
from stackctl.cli.inputs import collect_items
from stackctl.cli.options import (
    AfterOpt,
    AllOpt,
    ConvId,
    IgnoreNotFoundOpt,
    ItemOpt,
    ItemsFileOpt,
    LimitOpt,
    MessageOpt,
    MetadataOpt,
    Order,
    OrderOpt,
)
from stackctl.cli.output import Format, OutputOpt

app = typer.Typer(
    help="Create, read, update and delete OpenAI-compatible conversations.", no_args_is_help=True
)
app.add_typer(items_app, name="items")

CONV_COLUMNS = [("ID", "id"), ("CREATED_AT", "created_at"), ("METADATA", "metadata")]


# --- conversations ------------------------------------------------------------------------------


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    metadata: MetadataOpt = None,
    item: ItemOpt = None,
    items_file: ItemsFileOpt = None,
    message: MessageOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Create a conversation, optionally with metadata and up to 20 initial items (one transaction).

    Example: stackctl conv create -m topic=demo --message 'user:Hello there' -o json
    """
    from stackctl.cli.output import emit
    from stackctl.config.envfiles import parse_pairs
    from stackctl.conversations import service as core

    pairs = parse_pairs(metadata or [], "--metadata", echo=True)
    raw_items = collect_items(item, items_file, message)
    with open_db(ctx) as db:
        conversation = core.create_conversation(db, pairs, raw_items)
    emit(conversation, output)


@app.command("get")
def get_cmd(ctx: typer.Context, conversation_id: ConvId, output: OutputOpt = Format.table) -> None:
    """Show one conversation.

    Example: stackctl conv get conv_0123... -o yaml
    """
    from stackctl.cli.output import emit
    from stackctl.conversations import wire as item_pages

    with open_db(ctx, create=False) as db:
        emit(item_pages.conversation_wire(db, conversation_id), output)


@app.command("update")
def update_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    metadata: MetadataOpt = None,
    clear_metadata: Annotated[bool, typer.Option("--clear-metadata", help="Remove all metadata.")] = False,
    output: OutputOpt = Format.table,
) -> None:
    """Replace a conversation's metadata with the pairs given.

    Example: stackctl conv update conv_0123... -m topic=billing -m priority=high
    """
    from stackctl.cli.output import emit
    from stackctl.config.envfiles import parse_pairs
    from stackctl.conversations import service as core
    from stackctl.errors import UsageError

    if not metadata and not clear_metadata:
        raise UsageError("give --metadata KEY=VALUE (repeatable) or --clear-metadata")
    if metadata and clear_metadata:
        raise UsageError("--metadata and --clear-metadata exclude each other")
    pairs = parse_pairs(metadata or [], "--metadata", echo=True)
    with open_db(ctx, create=False) as db:
        emit(core.update_conversation(db, conversation_id, pairs), output)


@app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    ignore_not_found: IgnoreNotFoundOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """Delete a conversation and all of its items.

    Example: stackctl conv delete conv_0123... --ignore-not-found -o json
    """
    from stackctl.cli.options import missing_ok
    from stackctl.cli.output import emit
    from stackctl.conversations import service as core

    with missing_ok(ignore_not_found), open_db(ctx, create=False) as db:
        emit(core.delete_conversation(db, conversation_id), output)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    limit: LimitOpt = 20,
    after: AfterOpt = None,
    order: OrderOpt = Order.desc,
    all_pages: AllOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """List conversations, newest first, one page or, with --all, every page.

    Example: stackctl conv list --limit 5 --after conv_0123... -o json
    """
    from stackctl.cli.options import follow_pages
    from stackctl.cli.output import emit
    from stackctl.conversations import service as core

    def fetch(cursor: str | None) -> Any:
        return core.list_conversations(db, limit=limit, after=cursor, order=order.value)

    with open_db(ctx, create=False) as db:
        page = fetch(after)
        if all_pages:
            page = follow_pages(page, fetch)
    emit(page, output, columns=CONV_COLUMNS)
