"""Responses: create (plain or streamed), read, list, delete, and list input items. Shared by CLI and server.

Every entry point takes the database, the environment mapping (provider configs are rendered from it at
call time, and record/replay is configured from it), a clock, and optionally a client factory, so tests and
the HTTP server can inject their own inference client.

Invariants:
- Everything that can be checked without the provider is checked first: the request's shape, that its text
  is valid Unicode (no lone surrogate, as non-UTF-8 bytes in argv give; exit 3), metadata limits,
  `conversation` with `previous_response_id` (`UsageError`, exit 2), the model (exit 3 ambiguous, exit 4
  unknown), the conversation or previous response (exit 4), input item ids new to the conversation (exit 3),
  and that there is at least one message to send (exit 3). Only then is the provider called.
- With a conversation, the context is its WHOLE history in order, preceded by the instructions (as the first
  system message) and followed by the new input. With `previous_response_id`, the context is the chain of
  stored responses (each one's input and output), oldest first; a link that was a conversation turn brings
  its conversation up to and including that turn, never the turns after it.
- After success, in ONE transaction: the input items and all output items are appended to the conversation
  (with the ids the response shows) and, unless `store` is false, the response and its input items are
  stored. On any failure nothing is written. A stream commits before it sends `response.completed`; a stream
  that breaks off, or whose consumer stops reading, writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from stackctl.conversations import service as conv
from stackctl.conversations import wire as item_pages
from stackctl.errors import InvalidInputError, NotFoundError, StackctlError, UsageError
from stackctl.ids import is_id, new_id
from stackctl.inference.surrogates import has_surrogate
from stackctl.models.conversations import Item, Message
from stackctl.models.responses import (
    ConversationRef,
    InputItemList,
    Response,
    ResponseDeleted,
    ResponseError,
    ResponseList,
    ResponseRequest,
    ResponseUsage,
)
from stackctl.registry.routing import ModelTarget, find_model, resolve_model
from stackctl.responses.translation import (
    StreamAccumulator,
    assistant_message,
    chat_tool_choice,
    chat_tools,
    completion_output,
    items_to_messages,
    tool_call_items,
    usage_of,
)
from stackctl.store import item_rows
from stackctl.store import responses as store
from stackctl.store.sqlite.connection import Database

if TYPE_CHECKING:
    from stackctl.inference.client import InferenceClient

Clock = conv.Clock
ClientFactory = Callable[[ModelTarget, Mapping[str, str]], "InferenceClient"]
Event = dict[str, Any]


def default_client_factory(target: ModelTarget, env: Mapping[str, str]) -> InferenceClient:
    """An inference client for the target's provider, recording or replaying as the env says."""
    from stackctl.inference.client import client_for_provider
    from stackctl.inference.recording import recording_config_from_env

    return client_for_provider(
        target.provider_type,
        target.config,
        provider_id=target.provider_id,
        recording=recording_config_from_env(env),
    )


# --- planning: everything checked before the provider is called ----------------------------------------


@dataclass(frozen=True)
class _Plan:
    request: ResponseRequest
    target: ModelTarget
    response_id: str
    created_at: int
    input_items: list[Item]
    chat: dict[str, Any]


def check_response_id(response_id: str) -> None:
    if not is_id(response_id, "resp"):
        raise InvalidInputError(
            f"malformed response id: {response_id!r}",
            hint="response ids are 'resp_' followed by 48 lowercase hex characters",
            code="invalid_id",
        )


def parse_request(request: ResponseRequest | Mapping[str, Any]) -> ResponseRequest:
    if not isinstance(request, ResponseRequest):
        try:
            request = ResponseRequest.model_validate(dict(request))
        except ValidationError as exc:
            lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise InvalidInputError(
                "invalid response request", details=lines, code="invalid_request"
            ) from None
    _check_text(request)
    return request


def _check_text(req: ResponseRequest) -> None:
    """Refuse text that cannot be encoded (sent, stored, hashed for a recording) before anything uses it."""
    for name, value in req.model_dump(exclude_none=True).items():
        if has_surrogate(value):
            option = "--input or --input-file" if name == "input" else f"--{name.replace('_', '-')}"
            raise InvalidInputError(
                f"{name} is not valid UTF-8 text: it holds bytes that are not UTF-8 or a lone surrogate",
                hint=f"on the command line, give {option} as UTF-8 text (check the terminal's encoding)",
                code="invalid_text",
                param=name,
            )


def _input_items(raw: str | list[dict[str, Any]]) -> list[Item]:
    if isinstance(raw, str):
        raw = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": raw}]}]
    items = conv.parse_items(raw)  # the short message form without `type` is shaped there
    for item in items:
        if item.id is not None:
            item_pages.check_item_id(item.id)
    return [
        item
        if item.id is not None
        else item.model_copy(update={"id": new_id("msg" if item.type == "message" else "item")})
        for item in items
    ]


def _chain(db: Database, response_id: str) -> list[Item]:
    """The context a response continues: every earlier turn of its chain, oldest first."""
    check_response_id(response_id)
    items: list[Item] = []
    current: str | None = response_id
    seen: set[str] = set()
    while current is not None and current not in seen:
        seen.add(current)
        previous = store.fetch_response(db, current)
        if previous is None:
            if current == response_id:
                raise NotFoundError(f"response not found: {response_id}", code="response_not_found")
            break  # an older link was deleted: the chain starts here
        turn = [*store.all_input_items(db, current), *previous.output]
        history = _conversation_through(db, previous, turn)
        if history:
            return history + items
        items = turn + items
        current = previous.previous_response_id
    return items


def _conversation_through(db: Database, response: Response, turn: list[Item]) -> list[Item]:
    """A conversation turn's context: its conversation up to and including the turn, not later turns.

    Empty when the response had no conversation, or the conversation or the turn's items are gone."""
    if response.conversation is None or not item_rows.conversation_seq(db, response.conversation.id):
        return []
    return conv.items_through(db, response.conversation.id, [str(i.id) for i in turn if i.id])


def _plan(
    db: Database, request: ResponseRequest | Mapping[str, Any], env: Mapping[str, str], now: Clock
) -> _Plan:
    req = parse_request(request)
    if req.conversation and req.previous_response_id:
        raise UsageError("conversation and previous_response_id exclude each other: give one of them")
    conv.validate_metadata(req.metadata)
    input_items = _input_items(req.input)
    target = resolve_model(db, req.model, env)
    messages = items_to_messages([*_context(db, req, input_items), *input_items])
    if req.instructions:
        messages.insert(0, {"role": "system", "content": req.instructions})
    if not messages:
        raise InvalidInputError(
            "nothing to send: the input (with any history) gives the model no message",
            hint="give --input TEXT, or input items that include a message",
            code="empty_input",
        )
    return _Plan(req, target, new_id("resp"), now(), input_items, _chat_body(req, target, messages))


def _context(db: Database, req: ResponseRequest, input_items: list[Item]) -> list[Item]:
    """The items before the new input; with a conversation, also checks the input's ids are new to it."""
    if req.conversation:
        item_pages.require_conversation(db, req.conversation)
        # The ids the turn will be appended with: a clash found now costs no provider call.
        conv.check_new_item_ids(db, req.conversation, [str(item.id) for item in input_items])
        return list(conv.all_items(db, req.conversation))
    if req.previous_response_id:
        return _chain(db, req.previous_response_id)
    return []


def _chat_body(req: ResponseRequest, target: ModelTarget, messages: list[dict[str, Any]]) -> dict[str, Any]:
    chat: dict[str, Any] = {"model": target.provider_model_id, "messages": messages}
    if req.temperature is not None:
        chat["temperature"] = req.temperature
    if req.max_output_tokens is not None:
        chat["max_tokens"] = req.max_output_tokens
    if req.top_p is not None:
        chat["top_p"] = req.top_p
    tools = chat_tools(req.tools)
    if tools:
        chat["tools"] = tools
        if req.tool_choice is not None:
            chat["tool_choice"] = chat_tool_choice(req.tool_choice)
        if req.parallel_tool_calls is not None:
            chat["parallel_tool_calls"] = req.parallel_tool_calls
    return chat


def _response(
    plan: _Plan,
    status: str,
    output: list[Item],
    usage: ResponseUsage | None = None,
    *,
    error: StackctlError | None = None,
    finish_reason: str | None = None,
) -> Response:
    req = plan.request
    incomplete = status == "incomplete"
    return Response(
        id=plan.response_id,
        created_at=plan.created_at,
        status=status,  # type: ignore[arg-type]
        model=plan.target.identifier,
        output=output,
        usage=usage,
        previous_response_id=req.previous_response_id,
        conversation=ConversationRef(id=req.conversation) if req.conversation else None,
        instructions=req.instructions,
        temperature=req.temperature,
        max_output_tokens=req.max_output_tokens,
        store=req.store,
        error=ResponseError(code=error.code, message=error.message) if error else None,
        incomplete_details={"reason": "max_output_tokens"}
        if incomplete and finish_reason == "length"
        else None,
        metadata=req.metadata or {},
        tools=req.tools,
        tool_choice=req.tool_choice if req.tool_choice is not None else "auto",
        parallel_tool_calls=req.parallel_tool_calls if req.parallel_tool_calls is not None else True,
        top_p=req.top_p,
    )


def _status(finish_reason: str | None) -> str:
    return "incomplete" if finish_reason == "length" else "completed"


def _commit(db: Database, plan: _Plan, response: Response, now: Clock) -> None:
    """Append the turn to the conversation and store the response: one transaction, all or nothing."""
    with db.transaction():
        if plan.request.conversation:
            conv.append_items_in_tx(db, plan.request.conversation, [*plan.input_items, *response.output], now)
        if plan.request.store:
            store.insert_response(db, response, plan.input_items)


# --- create ------------------------------------------------------------------------------------------


def create_response(
    db: Database,
    request: ResponseRequest | Mapping[str, Any],
    *,
    env: Mapping[str, str],
    now: Clock = conv.system_clock,
    client_factory: ClientFactory | None = None,
) -> Response:
    """Run one response to completion; raises `UpstreamError` (exit 6) if the provider fails."""
    plan = _plan(db, request, env, now)
    with (client_factory or default_client_factory)(plan.target, env) as client:
        completion = client.chat(plan.chat)
    output, finish_reason = completion_output(completion)
    usage = usage_of(completion.get("usage"))
    response = _response(plan, _status(finish_reason), output, usage, finish_reason=finish_reason)
    _commit(db, plan, response, now)
    return response


def stream_response(
    db: Database,
    request: ResponseRequest | Mapping[str, Any],
    *,
    env: Mapping[str, str],
    now: Clock = conv.system_clock,
    client_factory: ClientFactory | None = None,
) -> Iterator[Event]:
    """Check the request now (errors raise here), then return the events of a streamed response.

    Events follow OpenAI's streaming protocol: `response.created`, `response.in_progress`,
    `response.output_item.added`, `response.content_part.added`, `response.output_text.delta`...,
    `response.output_text.done`, `response.content_part.done`, `response.output_item.done`, then
    `response.completed` (after the commit). On a failure the iterator yields `response.failed` and then
    raises the error.
    """
    plan = _plan(db, request, env, now)
    return _events(db, plan, env, now, client_factory or default_client_factory)


class _Emitter:
    def __init__(self) -> None:
        self._numbers = itertools.count()

    def __call__(self, kind: str, **fields: Any) -> Event:
        return {"type": kind, "sequence_number": next(self._numbers), **fields}


def _message_events(emit: _Emitter, message: Message, *, opened: bool) -> Iterator[Event]:
    """The closing events of the text message (and its opening ones, if no delta opened it)."""
    text = message.content[0].to_wire() if message.content else {"type": "output_text", "text": ""}
    if not opened:
        yield from _message_open(emit, message)
    common = {"item_id": message.id, "output_index": 0, "content_index": 0}
    yield emit("response.output_text.done", **common, text=text["text"], logprobs=[])
    yield emit("response.content_part.done", **common, part=text)
    yield emit("response.output_item.done", output_index=0, item=message.to_wire())


def _message_open(emit: _Emitter, message: Message) -> Iterator[Event]:
    shell = message.model_copy(update={"content": [], "status": "in_progress"}).to_wire()
    yield emit("response.output_item.added", output_index=0, item=shell)
    part = {"type": "output_text", "text": "", "annotations": []}
    yield emit("response.content_part.added", item_id=message.id, output_index=0, content_index=0, part=part)


def _events(
    db: Database, plan: _Plan, env: Mapping[str, str], now: Clock, factory: ClientFactory
) -> Iterator[Event]:
    emit = _Emitter()
    yield emit("response.created", response=_response(plan, "in_progress", []).to_wire())
    yield emit("response.in_progress", response=_response(plan, "in_progress", []).to_wire())
    message_id = new_id("msg")
    opened = False
    acc = StreamAccumulator()
    try:
        with factory(plan.target, env) as client:
            for chunk in client.chat_stream({**plan.chat, "stream_options": {"include_usage": True}}):
                delta = acc.add(chunk)
                if not delta:
                    continue
                if not opened:
                    yield from _message_open(
                        emit, assistant_message("").model_copy(update={"id": message_id})
                    )
                    opened = True
                yield emit(
                    "response.output_text.delta",
                    item_id=message_id,
                    output_index=0,
                    content_index=0,
                    delta=delta,
                    logprobs=[],
                )
        output: list[Item] = []
        calls = tool_call_items(acc.tool_calls())
        if acc.text or not calls:
            message = assistant_message(acc.text).model_copy(update={"id": message_id})
            output.append(message)
            yield from _message_events(emit, message, opened=opened)
        for index, call in enumerate(calls, start=len(output)):
            yield emit("response.output_item.added", output_index=index, item=call.to_wire())
            yield emit("response.output_item.done", output_index=index, item=call.to_wire())
            output.append(call)
        response = _response(
            plan, _status(acc.finish_reason), output, acc.usage, finish_reason=acc.finish_reason
        )
        _commit(db, plan, response, now)
    except StackctlError as exc:
        yield emit("response.failed", response=_response(plan, "failed", [], error=exc).to_wire())
        raise
    yield emit(
        "response.completed" if response.status == "completed" else "response.incomplete",
        response=response.to_wire(),
    )


# --- read, list, delete --------------------------------------------------------------------------------


def get_response(db: Database, response_id: str) -> Response:
    check_response_id(response_id)
    response = store.fetch_response(db, response_id)
    if response is None:
        raise NotFoundError(f"response not found: {response_id}", code="response_not_found")
    return response


def delete_response(db: Database, response_id: str) -> ResponseDeleted:
    """Delete a stored response and its input items (its conversation, if any, keeps the turn)."""
    check_response_id(response_id)
    with db.transaction():
        if not store.delete_response(db, response_id):
            raise NotFoundError(f"response not found: {response_id}", code="response_not_found")
    return ResponseDeleted(id=response_id)


def list_responses(
    db: Database,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    order: conv.Order = "desc",
    model: str | None = None,
) -> ResponseList:
    """Stored responses, newest first by default, optionally of one model, paged with `after`."""
    item_pages.check_limit(limit)
    item_pages.check_order(order)
    after_seq = None
    if after is not None:
        check_response_id(after)
        after_seq = store.response_seq(db, after)
        if after_seq is None:
            raise NotFoundError(f"response not found: {after}", code="response_not_found")
    if model is not None:
        model = _model_filter(db, model)
    rows = store.list_responses(db, limit=limit + 1, after_seq=after_seq, order=order, model=model)
    return ResponseList(data=rows[:limit], has_more=len(rows) > limit)


def _model_filter(db: Database, name: str) -> str:
    """A model name as `create` reads it (identifier, or a unique provider model id); else the text itself,
    since responses outlive the registration of their model."""
    try:
        return str(find_model(db, name)["identifier"])
    except (NotFoundError, InvalidInputError):
        return name


def _input_seq(db: Database, response_id: str, item_id: str | None) -> int | None:
    if item_id is None:
        return None
    item_pages.check_item_id(item_id)
    seq = store.input_item_seq(db, response_id, item_id)
    if seq is None:
        raise NotFoundError(f"input item not found in {response_id}: {item_id}", code="item_not_found")
    return seq


def list_input_items(
    db: Database,
    response_id: str,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    before: str | None = None,
    order: conv.Order = "desc",
) -> InputItemList:
    """One page of a stored response's input items (newest first by default)."""
    item_pages.check_limit(limit)
    item_pages.check_order(order)
    get_response(db, response_id)
    after_seq = _input_seq(db, response_id, after)
    before_seq = _input_seq(db, response_id, before)
    rows = store.fetch_input_items(
        db, response_id, limit=limit + 1, after_seq=after_seq, before_seq=before_seq, order=order
    )
    more = len(rows) > limit
    # Read backwards from `before`, the extra row is the farthest from the cursor: the first one.
    backwards = before_seq is not None and after_seq is None
    page = (rows[1:] if more else rows) if backwards else rows[:limit]
    return InputItemList(data=page, has_more=more)
