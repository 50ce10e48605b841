"""The streaming event protocol of a response: OpenAI's `response.*` events, numbered in order.

Output items are opened as their first piece arrives and numbered (`output_index`) in that order: the
assistant's text as `output_item.added` (in progress), `content_part.added`, `output_text.delta`...,
`output_text.done`, `content_part.done`, `output_item.done`; each function call as `output_item.added` (in
progress, empty arguments), `function_call_arguments.delta`... as the provider streams them,
`function_call_arguments.done`, `output_item.done`. A final response holds the same items, in that order.

The turn is committed before `response.completed` is sent; a stream that breaks off, or whose consumer
stops reading, writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackctl.errors import StackctlError
from stackctl.ids import new_id
from stackctl.models.conversations import FunctionCall, Item, Message
from stackctl.models.responses import Response
from stackctl.responses.translation import StreamAccumulator, assistant_message, no_answer
from stackctl.responses.turn import ClientFactory, Clock, Plan, build_response, commit_turn, status_of
from stackctl.store.database import Database

Event = dict[str, Any]


class _Emitter:
    def __init__(self) -> None:
        self._numbers = itertools.count()

    def __call__(self, kind: str, **fields: Any) -> Event:
        return {"type": kind, "sequence_number": next(self._numbers), **fields}


@dataclass
class _Output:
    """The output items opened so far: the message (if any) and the calls, by output index."""

    emit: _Emitter
    message_id: str = field(default_factory=lambda: new_id("msg"))
    message_index: int | None = None
    calls: dict[int, tuple[int, str]] = field(default_factory=dict)  # stream index -> (output index, id)
    count: int = 0

    def _next(self) -> int:
        self.count += 1
        return self.count - 1

    def open_message(self) -> Iterator[Event]:
        self.message_index = self._next()
        shell = assistant_message("").model_copy(
            update={"id": self.message_id, "content": [], "status": "in_progress"}
        )
        yield self.emit("response.output_item.added", output_index=self.message_index, item=shell.to_wire())
        part = {"type": "output_text", "text": "", "annotations": []}
        yield self.emit(
            "response.content_part.added",
            item_id=self.message_id,
            output_index=self.message_index,
            content_index=0,
            part=part,
        )

    def text_delta(self, delta: str) -> Iterator[Event]:
        if self.message_index is None:
            yield from self.open_message()
        yield self.emit(
            "response.output_text.delta",
            item_id=self.message_id,
            output_index=self.message_index,
            content_index=0,
            delta=delta,
            logprobs=[],
        )

    def call_delta(self, acc: StreamAccumulator, index: int, piece: str) -> Iterator[Event]:
        if index not in self.calls:
            self.calls[index] = (self._next(), new_id("item"))
            shell = _call_item(acc.call(index), self.calls[index][1], arguments="", status="in_progress")
            yield self.emit("response.output_item.added", output_index=self.calls[index][0], item=shell)
        if piece:
            output_index, item_id = self.calls[index]
            yield self.emit(
                "response.function_call_arguments.delta",
                item_id=item_id,
                output_index=output_index,
                delta=piece,
            )

    def close(self, acc: StreamAccumulator) -> tuple[list[Item], list[Event]]:
        """The final items in output order and the events that close them."""
        events: list[Event] = []
        done: dict[int, Item] = {}
        if self.message_index is None and not self.calls:
            events.extend(self.open_message())
        if self.message_index is not None:
            message = assistant_message(acc.text).model_copy(update={"id": self.message_id})
            events.extend(self._close_message(message, self.message_index))
            done[self.message_index] = message
        for index, (output_index, item_id) in sorted(self.calls.items(), key=lambda pair: pair[1][0]):
            item = FunctionCall.model_validate(_call_item(acc.call(index), item_id))
            events.append(
                self.emit(
                    "response.function_call_arguments.done",
                    item_id=item_id,
                    output_index=output_index,
                    arguments=item.arguments,
                )
            )
            events.append(
                self.emit("response.output_item.done", output_index=output_index, item=item.to_wire())
            )
            done[output_index] = item
        return [done[index] for index in sorted(done)], events

    def _close_message(self, message: Message, output_index: int) -> Iterator[Event]:
        text = message.content[0].to_wire()
        common = {"item_id": message.id, "output_index": output_index, "content_index": 0}
        yield self.emit("response.output_text.done", **common, text=text["text"], logprobs=[])
        yield self.emit("response.content_part.done", **common, part=text)
        yield self.emit("response.output_item.done", output_index=output_index, item=message.to_wire())


def _call_item(
    call: Mapping[str, Any], item_id: str, *, arguments: str | None = None, status: str = "completed"
) -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": str(call.get("id") or new_id("call")),
        "name": str(function.get("name") or ""),
        "arguments": str(function.get("arguments") or "") if arguments is None else arguments,
        "status": status,
    }


def stream_events(
    db: Database, plan: Plan, env: Mapping[str, str], now: Clock, factory: ClientFactory
) -> Iterator[Event]:
    emit = _Emitter()
    yield emit("response.created", response=build_response(plan, "in_progress", []).to_wire())
    yield emit("response.in_progress", response=build_response(plan, "in_progress", []).to_wire())
    out = _Output(emit)
    acc = StreamAccumulator()
    try:
        with factory(plan.target, env) as client:
            for chunk in client.chat_stream({**plan.chat, "stream_options": {"include_usage": True}}):
                delta = acc.add(chunk)
                if delta:
                    yield from out.text_delta(delta)
                for index, piece in acc.call_deltas:
                    yield from out.call_delta(acc, index, piece)
        if not acc.has_content and not acc.tool_calls():
            raise no_answer(acc.finish_reason)
        output, closing = out.close(acc)
        yield from closing
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


def replay_events(response: Response, starting_after: int | None = None) -> Iterator[Event]:
    """The events a stream of a stored response sends, as `GET /v1/responses/{id}?stream=true` replays them:
    the same protocol as a live stream, each item's text or arguments as one delta; with `starting_after`,
    only the events numbered after it."""
    for event in _replayed(response):
        if starting_after is None or event["sequence_number"] > starting_after:
            yield event


def _replayed(response: Response) -> Iterator[Event]:
    emit = _Emitter()
    shell = response.model_copy(update={"status": "in_progress", "output": [], "usage": None}).to_wire()
    yield emit("response.created", response=shell)
    yield emit("response.in_progress", response=shell)
    for index, item in enumerate(response.output):
        if isinstance(item, Message):
            yield from _replay_message(emit, item, index)
            continue
        wire = item.to_wire()
        if isinstance(item, FunctionCall):
            opened = {**wire, "arguments": "", "status": "in_progress"}
            yield emit("response.output_item.added", output_index=index, item=opened)
            common = {"item_id": item.id, "output_index": index}
            yield emit("response.function_call_arguments.delta", **common, delta=item.arguments)
            yield emit("response.function_call_arguments.done", **common, arguments=item.arguments)
        else:
            yield emit("response.output_item.added", output_index=index, item=wire)
        yield emit("response.output_item.done", output_index=index, item=wire)
    final = {"completed": "response.completed", "incomplete": "response.incomplete"}
    yield emit(final.get(response.status, "response.failed"), response=response.to_wire())


def _replay_message(emit: _Emitter, message: Message, index: int) -> Iterator[Event]:
    shell = message.model_copy(update={"content": [], "status": "in_progress"}).to_wire()
    yield emit("response.output_item.added", output_index=index, item=shell)
    for part_index, part in enumerate(message.content):
        wire = part.to_wire()
        common = {"item_id": message.id, "output_index": index, "content_index": part_index}
        text = wire.get("text")
        empty = {**wire, "text": ""} if isinstance(text, str) else wire
        yield emit("response.content_part.added", **common, part=empty)
        if isinstance(text, str):
            yield emit("response.output_text.delta", **common, delta=text, logprobs=[])
            yield emit("response.output_text.done", **common, text=text, logprobs=[])
        yield emit("response.content_part.done", **common, part=wire)
    yield emit("response.output_item.done", output_index=index, item=message.to_wire())
