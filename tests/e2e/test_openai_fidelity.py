"""Responses fidelity through the official `openai` SDK against a real `stackctl serve`: structured output,
refusals naming the parameter, streamed function calls, item references, provider errors as they are, chat
completions and model retrieval. Every body is also parsed strictly against the SDK's own types (no
coercion, no field the type does not know).

One server and one fake provider (which speaks tools and `response_format`) serve the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from tests.e2e.test_serve_responses import MODEL, Stack, _chat_posts
from tests.e2e.test_serve_responses import stack as stack  # noqa: PLC0414  (the module's server)
from tests.fakes import status

openai = pytest.importorskip("openai")

from openai.types import Model  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402
from openai.types.conversations import Conversation  # noqa: E402
from openai.types.responses import Response, ResponseStreamEvent  # noqa: E402

pytestmark = pytest.mark.e2e

WEATHER = {
    "type": "function",
    "name": "weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


class Trip(BaseModel):
    city: str
    days: int


# OpenAI sends `store` in a response object, though the SDK's type leaves it out.
SENT_BY_OPENAI = {"store"}


def _no_extra(value: Any, where: str = "body") -> None:
    """No field the SDK's type does not declare, anywhere in the parsed body."""
    if isinstance(value, BaseModel):
        extra = set(value.model_extra or {}) - SENT_BY_OPENAI
        assert not extra, f"{where}: fields the SDK does not know: {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extra(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            _no_extra(entry, f"{where}[{index}]")


def strict(model: Any, body: Any) -> Any:
    """`body` parsed as the SDK type `model` (a class or a union), with no coercion and no unknown field."""
    parsed = TypeAdapter(model).validate_python(body, strict=True)
    _no_extra(parsed)
    return parsed


@pytest.fixture
def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.server.base_url, api_key="x", max_retries=0)


def _raw(stack: Stack, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{stack.server.base_url}{path}", timeout=30, **kwargs)


def _sse_events(text: str) -> Iterator[dict[str, Any]]:
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: ") and line != "data: [DONE]":
                yield json.loads(line.removeprefix("data: "))


# --- 1. structured output ---------------------------------------------------------------------------------


def test_responses_parse_gives_the_typed_object(client: openai.OpenAI, stack: Stack) -> None:
    parsed = client.responses.parse(model=MODEL, input="plan a trip to Lyon", text_format=Trip)
    assert isinstance(parsed.output_parsed, Trip)
    assert parsed.output_parsed.days == 1
    assert parsed.text is not None and parsed.text.format is not None
    assert parsed.text.format.type == "json_schema"
    sent = _chat_posts(stack.fake)[-1]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["required"] == ["city", "days"]


def test_every_response_body_parses_strictly(stack: Stack) -> None:
    fmt = {"type": "json_schema", "name": "trip", "schema": Trip.model_json_schema(), "strict": False}
    created = _raw(
        stack,
        "POST",
        "/responses",
        json={"model": MODEL, "input": "hi", "text": {"format": fmt}, "user": "u", "tools": [WEATHER]},
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert "output_text" not in body
    response = strict(Response, body)
    assert response.user == "u" and response.text.format.type == "json_schema"
    assert response.output[0].type == "function_call"
    strict(Response, _raw(stack, "GET", f"/responses/{response.id}").json())


# --- 2. nothing silently dropped ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"tools": [WEATHER, {"type": "file_search", "vector_store_ids": ["vs"]}]}, "tools[1].type"),
        ({"background": True}, "background"),
        ({"include": ["file_search_call.results"]}, "include[0]"),
        ({"text": {"format": {"type": "json_schema", "name": "x"}}}, "text.format.schema"),
    ],
)
def test_what_cannot_be_honoured_is_a_bad_request(
    client: openai.OpenAI, stack: Stack, extra: dict[str, Any], param: str
) -> None:
    before = len(_chat_posts(stack.fake))
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=MODEL, input="hi", **extra)
    assert refused.value.body["param"] == param  # type: ignore[index]
    assert len(_chat_posts(stack.fake)) == before


def test_input_file_is_a_bad_request(client: openai.OpenAI) -> None:
    content = [{"type": "input_text", "text": "read"}, {"type": "input_file", "file_id": "file-1"}]
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=MODEL, input=[{"role": "user", "content": content}])
    assert refused.value.body["param"] == "input[0].content[1]"  # type: ignore[index]


# --- 4. streamed function calls -----------------------------------------------------------------------------


def test_streamed_function_call_events_and_the_tool_round_trip(client: openai.OpenAI, stack: Stack) -> None:
    with client.responses.stream(model=MODEL, input="weather in Paris?", tools=[WEATHER]) as events:
        seen = list(events)
        final = events.get_final_response()
    kinds = [event.type for event in seen]
    call_events = [k for k in kinds if "output_item" in k or "function_call" in k]
    assert call_events[0] == "response.output_item.added"
    assert call_events[-2:] == ["response.function_call_arguments.done", "response.output_item.done"]
    assert kinds.count("response.function_call_arguments.delta") == 2
    added = next(e for e in seen if e.type == "response.output_item.added")
    assert added.item.status == "in_progress" and added.item.arguments == ""
    deltas = "".join(e.delta for e in seen if e.type == "response.function_call_arguments.delta")
    [call] = final.output
    assert call.type == "function_call" and call.name == "weather"
    assert json.loads(call.arguments) == {"city": "weather in Paris?"} == json.loads(deltas)
    assert [o.id for o in final.output] == [added.item.id]

    answer = client.responses.create(
        model=MODEL,
        previous_response_id=final.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        tools=[WEATHER],
    )
    assert answer.output_text == "tool said: sunny"
    roles = [m["role"] for m in _chat_posts(stack.fake)[-1]["messages"]]
    assert roles == ["user", "assistant", "tool"]


def test_stream_events_parse_strictly(stack: Stack) -> None:
    streamed = _raw(
        stack, "POST", "/responses", json={"model": MODEL, "input": "hi", "tools": [WEATHER], "stream": True}
    )
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
    for event in events:
        strict(ResponseStreamEvent, event)
    assert events[-1]["type"] == "response.completed"


# --- 5. input items -----------------------------------------------------------------------------------------


def test_item_reference_no_input_and_metadata_none(client: openai.OpenAI, stack: Stack) -> None:
    first = client.responses.create(model=MODEL, input="remember this")
    client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "item_reference", "id": first.output[0].id}],
    )
    sent = [m["content"] for m in _chat_posts(stack.fake)[-1]["messages"]]
    assert sent == ["remember this", "echo: remember this", "echo: remember this"]

    conv = client.conversations.create(items=[{"type": "message", "role": "user", "content": "hello"}])
    assert client.responses.create(model=MODEL, conversation=conv.id).output_text == "echo: hello"  # type: ignore[call-overload]
    cleared = client.conversations.update(conv.id, metadata=None)
    assert cleared.metadata == {}
    strict(Conversation, _raw(stack, "GET", f"/conversations/{conv.id}").json())


def test_schema_errors_are_400_with_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model=MODEL, input="x", top_p=7)
    assert bad.value.body["param"] == "top_p"  # type: ignore[index]


# --- 6. endpoints -------------------------------------------------------------------------------------------


def test_models_retrieve(client: openai.OpenAI, stack: Stack) -> None:
    listed = client.models.list().data
    model = client.models.retrieve(listed[0].id)
    assert model.id == listed[0].id
    strict(Model, _raw(stack, "GET", f"/models/{listed[0].id}").json())
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_chat_completions_plain_and_streamed(client: openai.OpenAI, stack: Stack) -> None:
    messages = [{"role": "user", "content": "hi chat"}]
    completion = client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "echo: hi chat"
    assert _chat_posts(stack.fake)[-1]["model"] == "fake-model"
    strict(
        ChatCompletion,
        _raw(stack, "POST", "/chat/completions", json={"model": MODEL, "messages": messages}).json(),
    )

    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(model=MODEL, messages=messages, stream=True)  # type: ignore[arg-type]
        if chunk.choices
    ]
    assert "".join(pieces) == "echo: hi chat"
    raw = _raw(
        stack, "POST", "/chat/completions", json={"model": MODEL, "messages": messages, "stream": True}
    )
    assert raw.text.rstrip().endswith("data: [DONE]")
    for chunk in _sse_events(raw.text):
        strict(ChatCompletionChunk, chunk)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=messages)  # type: ignore[arg-type]


# --- 3. provider errors -------------------------------------------------------------------------------------


def test_provider_errors_keep_their_status_class(client: openai.OpenAI, stack: Stack) -> None:
    stack.fake.script(status(401, "Incorrect API key provided"))
    with pytest.raises(openai.AuthenticationError) as denied:
        client.responses.create(model=MODEL, input="x")
    assert "Incorrect API key provided" in denied.value.message
    stack.fake.script(status(400, "the provider refuses"))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    stack.fake.script(status(500), status(500), status(500))
    with pytest.raises(openai.InternalServerError) as failed:
        client.responses.create(model=MODEL, input="x")
    assert failed.value.status_code == 502


def test_a_429_is_passed_on_once_with_retry_after(client: openai.OpenAI, stack: Stack) -> None:
    before = len(_chat_posts(stack.fake))
    stack.fake.script(status(429, "slow down", retry_after=7))
    with pytest.raises(openai.RateLimitError) as limited:
        client.responses.create(model=MODEL, input="x")
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.code == "rate_limit_exceeded"
    # serve did not retry it: the SDK's own retries are the only ones.
    assert len(_chat_posts(stack.fake)) == before + 1


# --- 7. wire details ----------------------------------------------------------------------------------------


def test_retrieve_stream_replays_the_stored_events(client: openai.OpenAI) -> None:
    created = client.responses.create(model=MODEL, input="replay me")
    with client.responses.retrieve(created.id, stream=True) as events:
        seen = list(events)
    assert seen[0].type == "response.created" and seen[-1].type == "response.completed"
    assert "".join(e.delta for e in seen if e.type == "response.output_text.delta") == "echo: replay me"
    assert seen[-1].response.output_text == created.output_text
    later = list(client.responses.retrieve(created.id, stream=True, starting_after=2))
    assert later[0].sequence_number == 3


def test_a_failed_stream_has_an_error_code_the_sdk_knows(stack: Stack) -> None:
    stack.fake.script(status(429, "slow down"))
    streamed = _raw(stack, "POST", "/responses", json={"model": MODEL, "input": "hi", "stream": True})
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
    failed = strict(ResponseStreamEvent, events[-1])
    assert failed.type == "response.failed"
    assert failed.response.error.code == "rate_limit_exceeded"
    assert "slow down" in failed.response.error.message
