"""Reads that send the stored wire JSON as stored give the same bytes as the pydantic round trip, for every
item type (in a conversation, as a response's output and as its input items), with and without include."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackctl.conversations import service as conv
from stackctl.conversations import wire
from stackctl.ids import new_id
from stackctl.models.conversations import ITEM_TYPES, ItemAdapter
from stackctl.models.responses import Response
from stackctl.responses import service as responses
from stackctl.store import responses as response_rows
from stackctl.store.database import Database
from stackctl.store.open import open_database

IMAGE = "data:image/png;base64,AAAA"

SAMPLES: list[dict[str, Any]] = [
    {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "héllo ☃"},
            {"type": "input_image", "image_url": IMAGE, "detail": "low"},
            {"type": "input_file", "file_id": "file_1", "filename": "a.txt"},
        ],
    },
    {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "output_text", "text": "hi", "annotations": [], "logprobs": [{"token": "hi"}]},
            {"type": "refusal", "refusal": "no"},
        ],
    },
    {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"x": 1}'},
    {"type": "function_call_output", "call_id": "c1", "output": "42"},
    {"type": "file_search_call", "queries": ["q"], "results": [{"file_id": "f", "text": "t"}]},
    {"type": "web_search_call", "action": {"type": "search", "query": "q", "sources": [{"url": "u"}]}},
    {"type": "image_generation_call", "result": "b64"},
    {"type": "computer_call", "call_id": "c2", "action": {"type": "click", "x": 1, "y": 2}},
    {"type": "computer_call_output", "call_id": "c2", "output": {"type": "screenshot", "image_url": IMAGE}},
    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "s"}], "encrypted_content": "enc"},
    {"type": "code_interpreter_call", "code": "1+1", "container_id": "ct", "outputs": [{"type": "logs"}]},
    {"type": "local_shell_call", "call_id": "c3", "action": {"type": "exec", "command": ["ls"]}},
    {"type": "local_shell_call_output", "output": "a b"},
    {"type": "mcp_list_tools", "server_label": "s", "tools": [{"name": "t"}]},
    {"type": "mcp_approval_request", "server_label": "s", "name": "t", "arguments": "{}"},
    {"type": "mcp_approval_response", "approval_request_id": "r1", "approve": True},
    {"type": "mcp_call", "server_label": "s", "name": "t", "arguments": "{}", "output": "o"},
    {"type": "custom_tool_call", "call_id": "c4", "name": "g", "input": "in"},
    {"type": "custom_tool_call_output", "call_id": "c4", "output": "out"},
]
INCLUDES = [None, list(wire.INCLUDABLE)]


def same(a: Any, b: Any) -> None:
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(str(tmp_path / "wire.db"))


def test_the_samples_cover_every_item_type() -> None:
    assert {sample["type"] for sample in SAMPLES} == set(ITEM_TYPES)


@pytest.mark.parametrize("include", INCLUDES)
def test_conversation_reads(db: Database, include: list[str] | None) -> None:
    conversation = conv.create_conversation(db, {"k": "v"}, SAMPLES[:10])
    conv.add_items(db, conversation.id, SAMPLES[10:])
    same(wire.conversation_wire(db, conversation.id), conv.get_conversation(db, conversation.id).to_wire())
    for order in ("asc", "desc"):
        fast = wire.list_items_wire(db, conversation.id, limit=100, order=order, include=include)
        slow = conv.list_items(db, conversation.id, limit=100, order=order, include=include).to_wire()
        same(fast, slow)
        assert len(fast["data"]) == len(SAMPLES)
    for item in fast["data"]:
        same(
            wire.item_wire(db, conversation.id, item["id"], include=include),
            conv.get_item(db, conversation.id, item["id"], include=include).to_wire(),
        )


def test_response_reads(db: Database) -> None:
    items = [ItemAdapter.validate_python({**sample, "id": new_id("item")}) for sample in SAMPLES]
    for number in range(3):
        response = Response(
            id=new_id("resp"),
            created_at=1_700_000_000 + number,
            status="completed",
            model="m",
            output=items,
            metadata={"n": str(number)},
            usage={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},  # type: ignore[arg-type]
        )
        with db.transaction():
            response_rows.insert_response(db, response, items)
    same(responses.list_responses_wire(db, limit=100), responses.list_responses(db, limit=100).to_wire())
    same(responses.response_wire(db, response.id), responses.get_response(db, response.id).to_wire())
    for order in ("asc", "desc"):
        same(
            responses.list_input_items_wire(db, response.id, limit=100, order=order),
            responses.list_input_items(db, response.id, limit=100, order=order).to_wire(),
        )
    middle = items[5].id
    assert middle is not None
    same(
        responses.list_input_items_wire(db, response.id, limit=3, before=middle),
        responses.list_input_items(db, response.id, limit=3, before=middle).to_wire(),
    )
