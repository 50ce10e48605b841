"""What a Responses request may ask: structured output, tool choices, item references, and the 400s naming
the parameter for what stackctl cannot honour (nothing is accepted and then ignored)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackctl.conversations import service as conv
from stackctl.errors import InvalidInputError, NotFoundError
from stackctl.models.responses import Response
from stackctl.responses import service as core
from stackctl.store.database import Database
from tests.fakes import FakeOpenAI
from tests.unit.test_responses import ENV, fast_factory
from tests.unit.test_responses import db as db  # noqa: PLC0414  (the fixture, shared)

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
    "additionalProperties": False,
}


def ask(db: Database, given: object, **extra: object) -> Response:
    request = {"model": "fake-model", "input": given, **extra}
    return core.create_response(db, request, env=ENV, now=lambda: 42, client_factory=fast_factory)


def _last_body(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.requests[-1].body
    assert isinstance(body, dict)
    return body


def test_json_schema_format_becomes_response_format_and_is_echoed(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    fmt = {"type": "json_schema", "name": "trip", "schema": SCHEMA, "strict": True}
    response = ask(db, "plan a trip", text={"format": fmt})
    assert _last_body(fake_openai)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "trip", "schema": SCHEMA, "strict": True},
    }
    assert response.to_wire()["text"] == {"format": fmt}
    # The fake provider honours the schema, as a real one does.
    assert set(json.loads(response.output_text)) == {"city", "days"}


def test_json_object_and_text_formats(db: Database, fake_openai: FakeOpenAI) -> None:
    ask(db, "as json", text={"format": {"type": "json_object"}})
    assert _last_body(fake_openai)["response_format"] == {"type": "json_object"}
    plain = ask(db, "as text", text={"format": {"type": "text"}, "verbosity": "low"})
    assert "response_format" not in _last_body(fake_openai)
    assert plain.to_wire()["text"] == {"format": {"type": "text"}, "verbosity": "low"}
    assert ask(db, "default").to_wire()["text"] == {"format": {"type": "text"}}


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"text": {"format": {"type": "grammar"}}}, "text.format.type"),
        ({"text": {"format": {"type": "json_schema", "schema": SCHEMA}}}, "text.format.name"),
        ({"text": {"format": {"type": "json_schema", "name": "x"}}}, "text.format.schema"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"tools": [{"type": "function", "name": "f"}, {"type": "file_search"}]}, "tools[1].type"),
        ({"tools": [{"type": "mcp", "server_label": "s"}]}, "tools[0].type"),
        ({"tools": [{"type": "code_interpreter"}]}, "tools[0].type"),
        ({"tools": [{"type": "image_generation"}]}, "tools[0].type"),
        ({"tools": [{"type": "computer_use_preview"}]}, "tools[0].type"),
        ({"tools": [{"type": "custom", "name": "c"}]}, "tools[0].type"),
        ({"tool_choice": {"type": "web_search_preview"}}, "tool_choice"),
        ({"background": True}, "background"),
        ({"include": ["file_search_call.results"]}, "include[0]"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
    ],
)
def test_what_cannot_be_honoured_is_a_400_naming_the_parameter(
    db: Database, fake_openai: FakeOpenAI, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        ask(db, "hi", **extra)
    assert refused.value.param == param
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    ("part", "param"),
    [
        ({"type": "input_file", "file_id": "file-1"}, "input[0].content[1]"),
        ({"type": "input_image", "file_id": "file-1"}, "input[0].content[1]"),
    ],
)
def test_parts_the_provider_would_not_see_are_refused(
    db: Database, fake_openai: FakeOpenAI, part: dict[str, Any], param: str
) -> None:
    message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}, part]}
    with pytest.raises(InvalidInputError) as refused:
        ask(db, [message])
    assert refused.value.param == param
    assert fake_openai.requests == []


def test_accepted_parameters_are_echoed(db: Database) -> None:
    echoed = {
        "user": "u-1",
        "service_tier": "auto",
        "prompt_cache_key": "k",
        "safety_identifier": "s",
        "truncation": "auto",
        "max_tool_calls": 3,
        "background": False,
        "include": ["message.input_image.image_url"],
    }
    wire = ask(db, "hi", **echoed).to_wire()
    for name, value in echoed.items():
        if name != "include":
            assert wire[name] == value, name
    assert "output_text" not in wire


def test_allowed_tools_becomes_the_chat_form(db: Database, fake_openai: FakeOpenAI) -> None:
    tools = [{"type": "function", "name": name, "parameters": {"type": "object"}} for name in ("a", "b")]
    choice = {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "b"}]}
    ask(db, "hi", tools=tools, tool_choice=choice)
    assert _last_body(fake_openai)["tool_choice"] == {
        "type": "allowed_tools",
        "allowed_tools": {"mode": "required", "tools": [{"type": "function", "function": {"name": "b"}}]},
    }


def test_item_reference_resolves_against_the_previous_response(db: Database, fake_openai: FakeOpenAI) -> None:
    first = ask(db, "remember me")
    user_item = first.output[0]
    second = ask(db, [{"type": "item_reference", "id": str(user_item.id)}], previous_response_id=first.id)
    messages = _last_body(fake_openai)["messages"]
    assert [m["content"] for m in messages] == ["remember me", "echo: remember me", "echo: remember me"]
    assert second.status == "completed"
    with pytest.raises(NotFoundError) as missing:
        ask(db, [{"type": "item_reference", "id": "msg_" + "0" * 48}], previous_response_id=first.id)
    assert missing.value.param == "input[0].id"


def test_no_input_with_a_conversation_continues_it(db: Database, fake_openai: FakeOpenAI) -> None:
    conv_id = conv.create_conversation(
        db, None, conv.parse_items([{"type": "message", "role": "user", "content": "hello"}])
    ).id
    response = ask(db, None, conversation=conv_id)
    assert response.output_text == "echo: hello"
    with pytest.raises(InvalidInputError) as missing:
        ask(db, None)
    assert missing.value.param == "input"
