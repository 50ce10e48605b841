"""The pydantic-free item pages must equal the model path's `list_items(...).to_wire()` exactly."""

from __future__ import annotations

import itertools
import json

import pytest

from stackctl.conversations import service as core
from stackctl.conversations import wire as item_pages
from stackctl.errors import InvalidInputError, NotFoundError
from stackctl.store.open import open_database

CLOCK = lambda: 1_700_000_000  # noqa: E731
MISSING = "conv_" + "0" * 48

ITEMS = [
    {"type": "message", "role": "user", "content": "plain text"},
    {"type": "message", "role": "assistant", "content": "an answer"},
    {
        "type": "message",
        "role": "assistant",
        "content": [
            {
                "type": "output_text",
                "text": "x",
                "logprobs": [{"token": "x", "logprob": -0.1}],
                "annotations": [],
            },
            {"type": "refusal", "refusal": "no"},
        ],
    },
    {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"}],
        "metadata_extra": {"nested": None, "n": 1.5},
    },
    {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": "42"},
    {"type": "file_search_call", "queries": ["q"], "results": [{"file_id": "f1", "score": 0.5}]},
    {"type": "web_search_call", "action": {"type": "search", "query": "q"}},
    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "t"}], "encrypted_content": "blob"},
    {
        "type": "code_interpreter_call",
        "container_id": "cntr",
        "code": "1+1",
        "outputs": [{"type": "logs", "logs": "2"}],
    },
    {
        "type": "computer_call_output",
        "call_id": "c2",
        "output": {"type": "computer_screenshot", "image_url": "u"},
    },
    {"type": "mcp_call", "server_label": "s", "name": "t", "arguments": "{}", "output": "done"},
    {"type": "custom_tool_call", "call_id": "c4", "name": "t", "input": "x"},
    {"type": "message", "role": "user", "content": "ünïcödé ✓"},
]


@pytest.fixture
def conversation(db_location):
    with open_database(db_location) as db:
        conv = core.create_conversation(db, items=ITEMS, now=CLOCK)
        yield db, conv.id


INCLUDES = [None, *([v] for v in item_pages.INCLUDABLE), list(item_pages.INCLUDABLE)]


@pytest.mark.parametrize(("order", "limit"), list(itertools.product(["asc", "desc"], [1, 5, 20, 100])))
def test_pages_equal_the_model_path(conversation, order, limit):
    db, conv_id = conversation
    for include in INCLUDES:
        after = None
        while True:
            expected = core.list_items(db, conv_id, limit=limit, after=after, order=order, include=include)
            got = item_pages.list_items_wire(
                db, conv_id, limit=limit, after=after, order=order, include=include
            )
            wire = expected.to_wire()
            assert json.dumps(got, ensure_ascii=False) == json.dumps(wire, ensure_ascii=False)
            if not wire["has_more"]:
                break
            after = wire["last_id"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"conversation_id": "nope"}, InvalidInputError),
        ({"conversation_id": MISSING}, NotFoundError),
        ({"limit": 0}, InvalidInputError),
        ({"limit": 101}, InvalidInputError),
        ({"order": "up"}, InvalidInputError),
        ({"include": ["bogus"]}, InvalidInputError),
        ({"after": "msg_missing"}, NotFoundError),
        ({"after": "bad id!"}, InvalidInputError),
    ],
)
def test_errors_equal_the_model_path(conversation, kwargs, error):
    db, conv_id = conversation
    args = {"conversation_id": conv_id, **kwargs}
    with pytest.raises(error) as expected:
        core.list_items(db, **args)
    with pytest.raises(error) as got:
        item_pages.list_items_wire(db, **args)
    assert got.value.to_dict() == expected.value.to_dict()


def test_conversation_wire_is_the_created_models_wire(db_location):
    metadata = {"topic": "démo", "b": "2", "a": "1"}
    with open_database(db_location) as db:
        created = core.create_conversation(db, metadata, now=CLOCK)
        got = item_pages.conversation_wire(db, created.id)
    assert got == created.to_wire()
    assert list(got) == ["id", "object", "created_at", "metadata"]
    assert list(got["metadata"]) == ["a", "b", "topic"]  # stored sorted, as every read returns it


@pytest.mark.parametrize(
    ("conversation_id", "error"), [("nope", InvalidInputError), (MISSING, NotFoundError)]
)
def test_conversation_wire_errors(conversation, conversation_id, error):
    db, _ = conversation
    with pytest.raises(error):
        item_pages.conversation_wire(db, conversation_id)


INCLUDE_ONLY = [
    (
        {"type": "web_search_call", "action": {"type": "search", "query": "q", "sources": [{"url": "u"}]}},
        "web_search_call.action.sources",
        lambda item: item["action"].get("sources"),
    ),
    (
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_image", "image_url": "https://x/a.png"}],
        },
        "message.input_image.image_url",
        lambda item: item["content"][0].get("image_url"),
    ),
    (
        {
            "type": "computer_call_output",
            "call_id": "c9",
            "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,AA=="},
        },
        "computer_call_output.output.image_url",
        lambda item: item["output"].get("image_url"),
    ),
]


@pytest.mark.parametrize(("raw", "include", "field"), INCLUDE_ONLY)
def test_fields_behind_include_are_returned_only_when_asked(db_location, raw, include, field):
    with open_database(db_location) as db:
        conv = core.create_conversation(db, items=[raw], now=CLOCK)
        plain = item_pages.list_items_wire(db, conv.id)["data"][0]
        asked = item_pages.list_items_wire(db, conv.id, include=[include])["data"][0]
        one = core.get_item(db, conv.id, plain["id"]).to_wire()
        one_asked = core.get_item(db, conv.id, plain["id"], include=[include]).to_wire()
    assert field(plain) is None and field(one) is None
    assert field(asked) is not None and field(asked) == field(one_asked)
