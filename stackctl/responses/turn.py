"""A response turn: checked and planned before the provider is called, built and committed after.

Everything that can be checked without the provider is checked in `plan_turn` (see
`stackctl.responses.service` for the list); `commit_turn` appends the turn to its conversation and stores the
response in one transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from stackctl.conversations import service as conv
from stackctl.conversations import wire as item_pages
from stackctl.errors import InvalidInputError, NotFoundError, StackctlError, UsageError, validation_lines
from stackctl.heap import gc_paused
from stackctl.ids import check_id, new_id
from stackctl.inference.surrogates import has_surrogate
from stackctl.models.conversations import Item
from stackctl.models.responses import (
    ConversationRef,
    Response,
    ResponseError,
    ResponseRequest,
    ResponseUsage,
)
from stackctl.registry.routing import ModelTarget, resolve_model
from stackctl.responses import features
from stackctl.responses.translation import chat_tools, wire_to_messages
from stackctl.store import item_rows
from stackctl.store import responses as store
from stackctl.store.database import Database

if TYPE_CHECKING:
    from stackctl.inference.client import InferenceClient

Clock = conv.Clock
ClientFactory = Callable[[ModelTarget, Mapping[str, str]], "InferenceClient"]


@dataclass(frozen=True)
class Plan:
    request: ResponseRequest
    target: ModelTarget
    response_id: str
    created_at: int
    input_items: list[Item]
    chat: dict[str, Any]
    text: dict[str, Any]


def check_response_id(response_id: str) -> None:
    check_id(response_id, "resp", "response")


def parse_request(request: ResponseRequest | Mapping[str, Any]) -> ResponseRequest:
    if not isinstance(request, ResponseRequest):
        try:
            request = ResponseRequest.model_validate(dict(request))
        except ValidationError as exc:
            raise InvalidInputError(
                "invalid response request", details=validation_lines(exc.errors()), code="invalid_request"
            ) from None
    _check_text(request)
    features.check_tools(request.tools)
    if request.tool_choice is not None:
        features.chat_tool_choice(request.tool_choice)  # refuses a choice of a built-in tool
    features.check_request_flags(
        background=request.background,
        include=request.include,
        prompt=(request.model_extra or {}).get("prompt"),
    )
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


def _input_entries(raw: str | list[dict[str, Any]] | None) -> list[Item | str]:
    """The input in order: new items (each with an id), and the ids of `item_reference` entries."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": raw}]}]
    references = {
        index: entry for index, entry in enumerate(raw) if isinstance(entry, dict) and _is_reference(entry)
    }
    items = iter(conv.parse_items([e for i, e in enumerate(raw) if i not in references]))
    entries: list[Item | str] = []
    for index in range(len(raw)):
        if index in references:
            entries.append(_reference_id(references[index], index))
            continue
        item = next(items)
        if item.id is not None:
            item_pages.check_item_id(item.id)
        else:
            item = item.model_copy(update={"id": new_id("msg" if item.type == "message" else "item")})
        entries.append(item)
    features.check_input_parts(entries)
    return entries


def _is_reference(entry: Mapping[str, Any]) -> bool:
    return entry.get("type") == "item_reference"


def _reference_id(entry: Mapping[str, Any], index: int) -> str:
    item_id = entry.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise InvalidInputError(
            "an item_reference needs the id of an item", code="invalid_request", param=f"input[{index}].id"
        )
    return item_id


def _resolve(entries: list[Item | str], context: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input as wire JSON, with each reference replaced by the item it names in the context."""
    known = {item["id"]: item for item in context if item.get("id")}
    resolved: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            resolved.append(entry.to_wire())
        elif entry in known:
            resolved.append(known[entry])
        else:
            raise NotFoundError(
                f"item_reference names an item that is not in the conversation or previous response: {entry}",
                code="item_not_found",
                param=f"input[{index}].id",
            )
    return resolved


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
                raise NotFoundError(f"Response '{response_id}' not found", code="response_not_found")
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


def plan_turn(
    db: Database, request: ResponseRequest | Mapping[str, Any], env: Mapping[str, str], now: Clock
) -> Plan:
    req = parse_request(request)
    if req.conversation and req.previous_response_id:
        raise UsageError("conversation and previous_response_id exclude each other: give one of them")
    if req.input is None and not (req.conversation or req.previous_response_id):
        raise InvalidInputError(
            "input is required unless a conversation or previous_response_id gives the context",
            code="missing_required_parameter",
            param="input",
        )
    conv.validate_metadata(req.metadata)
    entries = _input_entries(req.input)
    input_items = [entry for entry in entries if not isinstance(entry, str)]
    text = features.text_config(req.text)
    target = resolve_model(db, req.model, env)
    with gc_paused():  # a 100k-item context is 100k new dicts: no cycles, nothing for the GC to find
        context = _context(db, req, input_items)
        if any(isinstance(entry, str) for entry in entries):  # item references: look them up in the context
            context = list(context)
            tail = _resolve(entries, context)
        else:
            tail = [entry.to_wire() for entry in entries if not isinstance(entry, str)]
        messages = wire_to_messages(itertools.chain(context, tail))
    if req.instructions:
        messages.insert(0, {"role": "system", "content": req.instructions})
    if not messages:
        raise InvalidInputError(
            "nothing to send: the input (with any history) gives the model no message",
            hint="give --input TEXT, or input items that include a message",
            code="empty_input",
        )
    chat = _chat_body(req, target, messages, text)
    return Plan(req, target, new_id("resp"), now(), input_items, chat, text)


def _context(db: Database, req: ResponseRequest, input_items: list[Item]) -> Iterable[dict[str, Any]]:
    """The items before the new input, as wire JSON; with a conversation, also checks the input's ids are
    new to it. A conversation's items are read as stored, with no model per item (linear at 100k items)."""
    if req.conversation:
        item_pages.require_conversation(db, req.conversation)
        # The ids the turn will be appended with: a clash found now costs no provider call.
        conv.check_new_item_ids(db, req.conversation, [str(item.id) for item in input_items])
        return item_pages.all_items_wire(db, req.conversation)  # read as it is translated: one pass
    if req.previous_response_id:
        return [item.to_wire() for item in _chain(db, req.previous_response_id)]
    return []


def _chat_body(
    req: ResponseRequest, target: ModelTarget, messages: list[dict[str, Any]], text: dict[str, Any]
) -> dict[str, Any]:
    chat: dict[str, Any] = {"model": target.provider_model_id, "messages": messages}
    response_format = features.chat_response_format(text)
    if response_format is not None:
        chat["response_format"] = response_format
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
            chat["tool_choice"] = features.chat_tool_choice(req.tool_choice)
        if req.parallel_tool_calls is not None:
            chat["parallel_tool_calls"] = req.parallel_tool_calls
    return chat


def build_response(
    plan: Plan,
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
        error=ResponseError(code=_failure_code(error), message=error.message) if error else None,
        incomplete_details={"reason": "max_output_tokens"}
        if incomplete and finish_reason == "length"
        else None,
        metadata=req.metadata or {},
        tools=req.tools,
        tool_choice=req.tool_choice if req.tool_choice is not None else "auto",
        parallel_tool_calls=req.parallel_tool_calls if req.parallel_tool_calls is not None else True,
        top_p=req.top_p,
        text=plan.text,
        user=req.user,
        service_tier=req.service_tier,
        prompt_cache_key=req.prompt_cache_key,
        safety_identifier=req.safety_identifier,
        truncation=req.truncation or "disabled",
        top_logprobs=req.top_logprobs,
        reasoning=req.reasoning,
        max_tool_calls=req.max_tool_calls,
    )


def _failure_code(error: StackctlError) -> str:
    """A failed response's `error.code`, from the set OpenAI documents for it."""
    return "rate_limit_exceeded" if getattr(error, "status", None) == 429 else "server_error"


def status_of(finish_reason: str | None) -> str:
    return "incomplete" if finish_reason == "length" else "completed"


def commit_turn(db: Database, plan: Plan, response: Response, now: Clock) -> None:
    """Append the turn to the conversation and store the response: one transaction, all or nothing."""
    with db.transaction():
        if plan.request.conversation:
            conv.append_items_in_tx(db, plan.request.conversation, [*plan.input_items, *response.output], now)
        if plan.request.store:
            store.insert_response(db, response, plan.input_items)
