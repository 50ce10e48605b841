"""`stackctl responses ...`: OpenAI-compatible responses produced by the registered inference providers.

Each command parses its options, calls one function of `stackctl.responses.service`, hands the result to the
output module; JSON output is exactly the OpenAI wire shape. Heavy modules are imported inside commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackctl.cli.options import (
    AfterOpt,
    AllOpt,
    EnvFileOpt,
    EnvOpt,
    IgnoreNotFoundOpt,
    LimitOpt,
    Order,
    OrderOpt,
    RetriesOpt,
    TimeoutOpt,
)
from stackctl.cli.output import Format, OutputOpt

if TYPE_CHECKING:
    from stackctl.models.responses import Response

app = typer.Typer(
    help="Create, read, list and delete OpenAI-compatible responses.\n\n"
    "Example: stackctl responses create --model gpt-4.1 --input 'Hello' --stream",
    no_args_is_help=True,
)

RespId = Annotated[
    str, typer.Argument(metavar="RESPONSE_ID", help="Response id (resp_...).", show_default=False)
]
RESPONSE_COLUMNS = [
    ("ID", "id"),
    ("CREATED_AT", "created_at"),
    ("MODEL", "model"),
    ("STATUS", "status"),
    ("OUTPUT_TEXT", "output_text"),
]


def _input(text: str | None, file: str | None) -> str | list[Any]:
    """The input from --input or --input-file: a JSON array there is a list of items, else plain text."""
    import json

    from stackctl.cli.inputs import json_error, read_text
    from stackctl.errors import UsageError

    if (text is None) == (file is None):
        raise UsageError("give exactly one of --input TEXT and --input-file FILE|-")
    if text is not None:
        return text
    content = read_text(str(file))
    if content.lstrip().startswith("["):
        try:
            items = json.loads(content)
        except json.JSONDecodeError:
            return content
        except (ValueError, RecursionError) as exc:
            raise json_error(str(file), exc) from None
        if isinstance(items, list):
            return items
    return content


def _summary(response: Response) -> dict[str, Any]:
    usage = response.usage
    return {
        "id": response.id,
        "status": response.status,
        "model": response.model,
        "conversation": response.conversation.id if response.conversation else None,
        "previous_response_id": response.previous_response_id,
        "output_text": response.output_text,
        "usage": f"{usage.input_tokens} in, {usage.output_tokens} out" if usage else None,
        "error": response.error.message if response.error else None,
    }


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    model: Annotated[
        str, typer.Option("--model", metavar="MODEL", help="Registered model id or provider model id.")
    ],
    input_text: Annotated[
        str | None, typer.Option("--input", metavar="TEXT", help="The user's input.")
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option("--input-file", metavar="FILE|-", help="Input text, or a JSON array of items."),
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", metavar="CONV_ID", help="Continue and extend this conversation."),
    ] = None,
    previous_response_id: Annotated[
        str | None,
        typer.Option("--previous-response-id", metavar="RESP_ID", help="Continue from this response."),
    ] = None,
    instructions: Annotated[
        str | None, typer.Option("--instructions", metavar="TEXT", help="A system message put first.")
    ] = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="Print text as it arrives (-o json: events).")
    ] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not store the response.")] = False,
    temperature: Annotated[float | None, typer.Option("--temperature", metavar="T", help="0..2.")] = None,
    max_output_tokens: Annotated[
        int | None, typer.Option("--max-output-tokens", metavar="N", help="Cap the answer's length.")
    ] = None,
    timeout: TimeoutOpt = None,
    retries: RetriesOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Ask a model for a response, optionally within a conversation (whose history is the context).

    \b
    Examples:
      stackctl responses create --model gpt-4.1 --input 'Name three rivers' -o json
      stackctl responses create --model openai/gpt-4.1 --conversation conv_0123... --input 'More?' --stream
      echo 'Summarise this' | stackctl responses create --model gpt-4.1 --input-file -

    The provider's config (its API key included) is rendered now from the environment, overridden by
    --env-file files, then by --env values (as `config render` does); none of them is stored.
    On a terminal a spinner shows on stderr until the first token arrives.
    """
    from stackctl.cli.db import open_db
    from stackctl.cli.inputs import build_env
    from stackctl.cli.options import call_bounds
    from stackctl.cli.output import emit
    from stackctl.cli.spinner import waiting
    from stackctl.errors import UsageError
    from stackctl.responses import service as core

    if conversation and previous_response_id:
        raise UsageError("--conversation and --previous-response-id exclude each other")
    request: dict[str, Any] = {
        "model": model,
        "input": _input(input_text, input_file),
        "conversation": conversation,
        "previous_response_id": previous_response_id,
        "instructions": instructions,
        "temperature": temperature,
        "max_output_tokens": max_output_tokens,
        "store": not no_store,
        "stream": stream,
    }
    environ = build_env(env, env_file)
    clients = core.provider_clients(timeouts=call_bounds(timeout), retries=retries)
    with open_db(ctx) as db:
        if stream:
            from stackctl.cli.response_stream import print_stream

            events = core.stream_response(db, request, env=environ, client_factory=clients)
            with waiting(f"waiting for {model}") as spinner:
                print_stream(events, output, spinner)
            return
        with waiting(f"waiting for {model}"):
            response = core.create_response(db, request, env=environ, client_factory=clients)
    emit(response if not output.is_table else _summary(response), output)


@app.command("get")
def get_cmd(ctx: typer.Context, response_id: RespId, output: OutputOpt = Format.table) -> None:
    """Show one stored response.

    Example: stackctl responses get resp_0123... -o json
    """
    from stackctl.cli.db import open_db
    from stackctl.cli.output import emit
    from stackctl.responses import service as core

    with open_db(ctx, create=False) as db:
        response = core.get_response(db, response_id)
    emit(response if not output.is_table else _summary(response), output)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    limit: LimitOpt = 20,
    after: AfterOpt = None,
    order: OrderOpt = Order.desc,
    model: Annotated[str | None, typer.Option("--model", metavar="MODEL", help="Only this model's.")] = None,
    all_pages: AllOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """List stored responses, newest first, one page or, with --all, every page.

    Example: stackctl responses list --limit 5 --model openai/gpt-4.1 -o json
    """
    from stackctl.cli.db import open_db
    from stackctl.cli.options import follow_pages
    from stackctl.cli.output import emit
    from stackctl.responses import service as core

    def fetch(cursor: str | None) -> Any:
        return core.list_responses(db, limit=limit, after=cursor, order=order.value, model=model)

    with open_db(ctx, create=False) as db:
        page = fetch(after)
        if all_pages:
            page = follow_pages(page, fetch)
    emit(_with_output_text(page) if output.is_table else page, output, columns=RESPONSE_COLUMNS)


def _with_output_text(page: Any) -> dict[str, Any]:
    """A page of responses with each one's output text (the wire shape has none) for the table."""
    from stackctl.cli.output import to_jsonable

    plain: dict[str, Any] = to_jsonable(page)
    rows = [{**row, "output_text": _output_text(row)} for row in plain["data"]]
    return {**plain, "data": rows}


def _output_text(response: dict[str, Any]) -> str:
    return "".join(
        str(part.get("text", ""))
        for item in response.get("output") or []
        if item.get("type") == "message" and item.get("role") == "assistant"
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


@app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    response_id: RespId,
    ignore_not_found: IgnoreNotFoundOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """Delete a stored response and its input items (a conversation keeps its turn).

    Example: stackctl responses delete resp_0123... --ignore-not-found -o json
    """
    from stackctl.cli.db import open_db
    from stackctl.cli.options import missing_ok
    from stackctl.cli.output import emit
    from stackctl.responses import service as core

    with missing_ok(ignore_not_found), open_db(ctx, create=False) as db:
        emit(core.delete_response(db, response_id), output)


@app.command("input-items")
def input_items_cmd(
    ctx: typer.Context,
    response_id: RespId,
    limit: LimitOpt = 20,
    after: AfterOpt = None,
    before: Annotated[
        str | None,
        typer.Option("--before", metavar="ID", help="List before this id (a cursor).", show_default=False),
    ] = None,
    order: OrderOpt = Order.desc,
    all_pages: AllOpt = False,
    output: OutputOpt = Format.table,
) -> None:
    """List the input items of a stored response: one page or, with --all, every page.

    Example: stackctl responses input-items resp_0123... --order asc --all -o json
    """
    from stackctl.cli.conversation_items import emit_items
    from stackctl.cli.db import open_db
    from stackctl.cli.options import follow_pages
    from stackctl.responses import service as core

    def fetch(cursor: str | None) -> Any:
        return core.list_input_items(
            db, response_id, limit=limit, after=cursor, before=before, order=order.value
        )

    with open_db(ctx, create=False) as db:
        page = fetch(after)
        if all_pages:
            page = follow_pages(page, fetch)
    emit_items(page, output)
