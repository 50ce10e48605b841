"""The streaming event protocol of a response: OpenAI's `response.*` events, numbered in order.

The turn is committed before `response.completed` is sent; a stream that breaks off, or whose consumer
stops reading, writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from stackctl.errors import StackctlError
from stackctl.ids import new_id
from stackctl.models.conversations import Item, Message
from stackctl.responses.translation import (
    StreamAccumulator,
    assistant_message,
    tool_call_items,
)
from stackctl.responses.turn import ClientFactory, Clock, Plan, build_response, commit_turn, status_of
from stackctl.store.sqlite.connection import Database

Event = dict[str, Any]


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


def stream_events(
    db: Database, plan: Plan, env: Mapping[str, str], now: Clock, factory: ClientFactory
) -> Iterator[Event]:
    emit = _Emitter()
    yield emit("response.created", response=build_response(plan, "in_progress", []).to_wire())
    yield emit("response.in_progress", response=build_response(plan, "in_progress", []).to_wire())
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
        response = build_response(
            plan, status_of(acc.finish_reason), output, acc.usage, finish_reason=acc.finish_reason
        )
        commit_turn(db, plan, response, now)
    except StackctlError as exc:
        yield emit("response.failed", response=build_response(plan, "failed", [], error=exc).to_wire())
        raise
    yield emit(
        "response.completed" if response.status == "completed" else "response.incomplete",
        response=response.to_wire(),
    )
