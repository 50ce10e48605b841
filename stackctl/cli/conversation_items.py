"""`stackctl conv items ...`: the items of a conversation, plus the options and input helpers shared with
`stackctl conv`.

Each command parses its options, calls one function of `stackctl.conversations.service`, hands the result to
the output module; JSON output is exactly the OpenAI wire shape. Heavy modules are imported inside commands.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackctl.cli.db import open_db
from stackctl.cli.output import Format, OutputOpt

if TYPE_CHECKING:
    from stackctl.models.conversations import ItemList
    from stackctl.models.responses import InputItemList

items_app = typer.Typer(help="Add, list, read and delete the items of a conversation.", no_args_is_help=True)

ConvId = Annotated[
    str, typer.Argument(metavar="CONVERSATION_ID", help="Conversation id (conv_...).", show_default=False)
]
ItemId = Annotated[str, typer.Argument(metavar="ITEM_ID", help="Item id.", show_default=False)]
MetadataOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metadata", "-m", metavar="KEY=VALUE", help="Metadata KEY=VALUE (repeatable).", show_default=False
    ),
]
ItemOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        metavar="JSON|@FILE",
        help="An item as JSON, or @FILE holding one (repeatable).",
        show_default=False,
    ),
]
ItemsFileOpt = Annotated[
    str | None,
    typer.Option(
        "--items-file",
        metavar="FILE|-",
        help="A JSON array or JSON lines of items; - reads stdin.",
        show_default=False,
    ),
]
MessageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--message",
        metavar="ROLE:TEXT",
        help="A message ROLE:TEXT (user, assistant, system, developer).",
        show_default=False,
    ),
]
LimitOpt = Annotated[int, typer.Option("--limit", metavar="N", help="Page size, 1..100.")]
AfterOpt = Annotated[
    str | None,
    typer.Option("--after", metavar="ID", help="List after this id (a cursor).", show_default=False),
]


class Order(str, Enum):
    asc = "asc"
    desc = "desc"


OrderOpt = Annotated[Order, typer.Option("--order", help="asc (oldest first) or desc (newest first).")]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="FIELD",
        help="Extra fields, e.g. message.output_text.logprobs (repeatable).",
        show_default=False,
    ),
]

ITEM_COLUMNS = [
    ("ID", "id"),
    ("TYPE", "type"),
    ("ROLE", "role"),
    ("STATUS", "status"),
    ("SUMMARY", "summary"),
]
ROLES = ("user", "assistant", "system", "developer")


def collect_items(items: list[str] | None, items_file: str | None, messages: list[str] | None) -> list[Any]:
    """Items from --item, then --items-file, then --message, in that order."""
    from stackctl.cli.inputs import json_arg, json_documents
    from stackctl.errors import UsageError

    collected = [json_arg(value, "--item") for value in items or ()]
    if items_file is not None:
        collected.extend(json_documents(items_file))
    for value in messages or ():
        role, sep, text = value.partition(":")
        if not sep or role not in ROLES:
            raise UsageError(
                f"--message expects ROLE:TEXT with ROLE one of {', '.join(ROLES)}, got {value!r}"
            )
        collected.append({"type": "message", "role": role, "content": text})
    return collected


def _summary(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, list):
        text = " ".join(str(p.get("text") or p.get("refusal") or f"[{p.get('type')}]") for p in content)
    else:
        text = str(item.get("name") or item.get("output") or item.get("arguments") or "")
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def emit_items(page: ItemList | InputItemList | dict[str, Any], output: Format) -> None:
    from stackctl.cli.output import emit, to_jsonable

    if output is not Format.table:
        emit(page, output)
        return
    rows = [{**row, "summary": _summary(row)} for row in to_jsonable(page)["data"]]
    emit(rows, output, columns=ITEM_COLUMNS)


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
    all_pages: Annotated[
        bool, typer.Option("--all", help="Follow the cursor to the end; print one list.")
    ] = False,
    output: OutputOpt = Format.table,
) -> None:
    """List a conversation's items (newest first by default), one page or, with --all, every page.

    Example: stackctl conv items list conv_0123... --order asc --limit 50 --all -o json
    """
    # The wire JSON as stored, without pydantic: this is the command CI scripts call in loops.
    from stackctl.conversations import wire as item_pages
    from stackctl.models.lists import list_envelope

    with open_db(ctx) as db:
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

    with open_db(ctx) as db:
        emit(core.get_item(db, conversation_id, item_id, include=include), output)


@items_app.command("delete")
def items_delete_cmd(
    ctx: typer.Context, conversation_id: ConvId, item_id: ItemId, output: OutputOpt = Format.table
) -> None:
    """Delete one item; prints the conversation, as the OpenAI API does.

    Example: stackctl conv items delete conv_0123... msg_4567...
    """
    from stackctl.cli.output import emit
    from stackctl.conversations import service as core

    with open_db(ctx) as db:
        emit(core.delete_item(db, conversation_id, item_id), output)
