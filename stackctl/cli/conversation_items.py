"""`stackctl conv items ...`: the items of a conversation, plus the options and input helpers shared with
`stackctl conv`.

Each command parses its options, calls one function of `stackctl.conversations.service`, hands the result to
the output module; JSON output is exactly the OpenAI wire shape. Heavy modules are imported inside commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from stackctl.cli.db import open_db
from stackctl.cli.inputs import collect_items
from stackctl.cli.options import (
    AfterOpt,
    AllOpt,
    ConvId,
    IgnoreNotFoundOpt,
    IncludeOpt,
    ItemId,
    ItemOpt,
    ItemsFileOpt,
    LimitOpt,
    MessageOpt,
    Order,
    OrderOpt,
)
from stackctl.cli.output import Format, OutputOpt

if TYPE_CHECKING:
    from stackctl.models.conversations import ItemList
    from stackctl.models.responses import InputItemList

items_app = typer.Typer(help="Add, list, read and delete the items of a conversation.", no_args_is_help=True)

ITEM_COLUMNS = [
    ("ID", "id"),
    ("TYPE", "type"),
    ("ROLE", "role"),
    ("STATUS", "status"),
    ("SUMMARY", "summary"),
]


def _summary(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, list):
        text = " ".join(str(p.get("text") or p.get("refusal") or f"[{p.get('type')}]") for p in content)
    else:
        text = str(item.get("name") or item.get("output") or item.get("arguments") or "")
    return " ".join(text.split())  # a table fits it to the terminal


def emit_items(page: ItemList | InputItemList | dict[str, Any], output: Format) -> None:
    from stackctl.cli.output import emit, to_jsonable

    if not output.is_table:
        emit(page, output)
        return
    plain = to_jsonable(page)
    rows = [{**row, "summary": _summary(row)} for row in plain["data"]]
    emit({"object": "list", "data": rows, "has_more": plain.get("has_more")}, output, columns=ITEM_COLUMNS)


@items_app.command("create")
def items_create_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    item: ItemOpt = None,
    items_file: ItemsFileOpt = None,
    message: MessageOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Add up to 20 items to a conversation in one transaction; prints them as a list.

    Example: stackctl conv items create conv_0123... --message 'user:What is WAL?' --items-file more.jsonl
    """
    from stackctl.conversations import service as core
    from stackctl.errors import UsageError
    from stackctl.models.conversations import ItemList

    raw_items = collect_items(item, items_file, message)
    if not raw_items:
        raise UsageError("give at least one item with --item, --items-file or --message")
    with open_db(ctx) as db:
        added = core.add_items(db, conversation_id, raw_items)
    emit_items(ItemList(data=added, has_more=False), output)


@items_app.command("list")
def items_list_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    limit: LimitOpt = 20,
    after: AfterOpt = None,
    order: OrderOpt = Order.desc,
    include: IncludeOpt = None,
    all_pages: AllOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """List a conversation's items (newest first by default), one page or, with --all, every page.

    Example: stackctl conv items list conv_0123... --order asc --limit 50 --all -o json
    """
    # The wire JSON as stored, without pydantic: this is the command CI scripts call in loops.
    from stackctl.conversations import wire as item_pages
    from stackctl.models.lists import list_envelope

    with open_db(ctx, create=False) as db:
        page = item_pages.list_items_wire(
            db, conversation_id, limit=limit, after=after, order=order.value, include=include
        )
        if all_pages:
            merged = list(page["data"])
            while page["has_more"]:
                page = item_pages.list_items_wire(
                    db,
                    conversation_id,
                    limit=limit,
                    after=merged[-1]["id"],
                    order=order.value,
                    include=include,
                )
                merged.extend(page["data"])
            page = list_envelope(merged, has_more=False)
    emit_items(page, output)


@items_app.command("get")
def items_get_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    item_id: ItemId,
    include: IncludeOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Show one item of a conversation.

    Example: stackctl conv items get conv_0123... msg_4567... -o json
    """
    from stackctl.cli.output import emit
    from stackctl.conversations import service as core

    with open_db(ctx, create=False) as db:
        emit(core.get_item(db, conversation_id, item_id, include=include), output)


@items_app.command("delete")
def items_delete_cmd(
    ctx: typer.Context,
    conversation_id: ConvId,
    item_id: ItemId,
    ignore_not_found: IgnoreNotFoundOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """Delete one item; prints the conversation, as the OpenAI API does.

    Example: stackctl conv items delete conv_0123... msg_4567... --ignore-not-found
    """
    from stackctl.cli.options import missing_ok
    from stackctl.cli.output import emit
    from stackctl.conversations import service as core

    with missing_ok(ignore_not_found), open_db(ctx, create=False) as db:
        emit(core.delete_item(db, conversation_id, item_id), output)
