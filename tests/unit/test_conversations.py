from __future__ import annotations

import re

import pytest

from stackctl.conversations import service as core
from stackctl.errors import InvalidInputError, NotFoundError
from stackctl.models.conversations import FunctionCall, Message
from stackctl.store.open import open_database

CLOCK = lambda: 1_700_000_000  # noqa: E731 - a fixed clock: every item lands in the same second
MISSING = "conv_" + "0" * 48


@pytest.fixture
def db(db_location):
    with open_database(db_location) as database:
        yield database


def msg(text, role="user", **extra):
    return {"type": "message", "role": role, "content": text, **extra}


def row_counts(db):
    return tuple(
        db.execute(sql).fetchone()[0]
        for sql in ("SELECT COUNT(*) FROM conversations", "SELECT COUNT(*) FROM conversation_items")
    )


# --- ids --------------------------------------------------------------------------------------------


def test_ids_have_the_documented_shape(db):
    conv = core.create_conversation(
        db,
        items=[msg("hi"), {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}],
        now=CLOCK,
    )
    assert re.fullmatch(r"conv_[0-9a-f]{48}", conv.id)
    message, call = core.all_items(db, conv.id)
    assert re.fullmatch(r"msg_[0-9a-f]{48}", message.id)
    assert re.fullmatch(r"item_[0-9a-f]{48}", call.id)


def test_client_item_ids_are_kept_and_unique_per_conversation(db):
    conv = core.create_conversation(db, items=[msg("a", id="mine-1")], now=CLOCK)
    assert core.get_item(db, conv.id, "mine-1").id == "mine-1"
    with pytest.raises(InvalidInputError, match="already used"):
        core.add_items(db, conv.id, [msg("b", id="mine-2"), msg("c", id="mine-1")], now=CLOCK)
    with pytest.raises(InvalidInputError, match="already used"):
        core.add_items(db, conv.id, [msg("b", id="dup"), msg("c", id="dup")], now=CLOCK)
    other = core.create_conversation(db, items=[msg("a", id="mine-1")], now=CLOCK)
    assert core.get_item(db, other.id, "mine-1").id == "mine-1"
    assert [i.id for i in core.all_items(db, conv.id)] == ["mine-1"]


@pytest.mark.parametrize(
    "bad", ["CONV_" + "a" * 48, "resp_" + "a" * 48, "", "conv_", "conv_a.b", "conv_a b", "conv_" + "a" * 60]
)
def test_malformed_conversation_id_is_invalid_input(db, bad):
    with pytest.raises(InvalidInputError, match="expected an id that begins with 'conv_'"):
        core.get_conversation(db, bad)


@pytest.mark.parametrize(
    "unknown", ["conv_123", "conv_nonexistent123", "conv_" + "A" * 48, "conv_" + "a" * 59]
)
def test_a_well_formed_unknown_conversation_id_is_not_found(db, unknown):
    with pytest.raises(NotFoundError, match=f"Conversation '{unknown}' not found"):
        core.get_conversation(db, unknown)
    with pytest.raises(NotFoundError):
        core.list_items(db, unknown)


def test_malformed_item_id_is_invalid_input(db):
    conv = core.create_conversation(db, now=CLOCK)
    with pytest.raises(InvalidInputError):
        core.get_item(db, conv.id, "has spaces")
    with pytest.raises(InvalidInputError):
        core.add_items(db, conv.id, [msg("x", id="x" * 129)], now=CLOCK)


def test_unknown_ids_are_not_found(db):
    conv = core.create_conversation(db, now=CLOCK)
    for call in (
        lambda: core.get_conversation(db, MISSING),
        lambda: core.update_conversation(db, MISSING, {}),
        lambda: core.delete_conversation(db, MISSING),
        lambda: core.add_items(db, MISSING, [msg("x")], now=CLOCK),
        lambda: core.list_items(db, MISSING),
        lambda: core.get_item(db, conv.id, "msg_nope"),
        lambda: core.delete_item(db, conv.id, "msg_nope"),
        lambda: core.list_items(db, conv.id, after="msg_nope"),
    ):
        with pytest.raises(NotFoundError):
            call()


# --- limits: violations change nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": "v" for i in range(17)},
        {"k" * 65: "v"},
        {"k": "v" * 513},
        {"k": 1},
        {"": "v"},
    ],
)
def test_metadata_limits(db, metadata):
    with pytest.raises(InvalidInputError):
        core.create_conversation(db, metadata=metadata, items=[msg("x")], now=CLOCK)
    assert row_counts(db) == (0, 0)


def test_metadata_at_the_limits_is_accepted(db):
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    conv = core.create_conversation(db, metadata=metadata, now=CLOCK)
    assert core.get_conversation(db, conv.id).metadata == metadata


def test_at_most_twenty_items_per_call(db):
    with pytest.raises(InvalidInputError, match="at most 20"):
        core.create_conversation(db, items=[msg(str(i)) for i in range(21)], now=CLOCK)
    assert row_counts(db) == (0, 0)
    conv = core.create_conversation(db, items=[msg(str(i)) for i in range(20)], now=CLOCK)
    with pytest.raises(InvalidInputError, match="at most 20"):
        core.add_items(db, conv.id, [msg(str(i)) for i in range(21)], now=CLOCK)
    assert row_counts(db) == (1, 20)


def test_one_bad_item_rejects_the_whole_batch(db):
    conv = core.create_conversation(db, now=CLOCK)
    with pytest.raises(InvalidInputError) as info:
        core.add_items(
            db, conv.id, [msg("fine"), {"type": "message", "role": "robot", "content": "x"}], now=CLOCK
        )
    assert any(d.startswith("items[1].role") for d in info.value.details)
    assert row_counts(db) == (1, 0)


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_limit_bounds(db, limit):
    conv = core.create_conversation(db, now=CLOCK)
    with pytest.raises(InvalidInputError):
        core.list_items(db, conv.id, limit=limit)
    with pytest.raises(InvalidInputError):
        core.list_conversations(db, limit=limit)


def test_unknown_include_is_invalid(db):
    conv = core.create_conversation(db, now=CLOCK)
    with pytest.raises(InvalidInputError):
        core.list_items(db, conv.id, include=["message.everything"])


# --- the item union ---------------------------------------------------------------------------------


def test_union_dispatches_on_type_and_normalises_string_content():
    user, assistant, call = core.parse_items(
        [
            msg("hi"),
            msg("hello", role="assistant"),
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        ]
    )
    assert isinstance(user, Message) and user.content[0].type == "input_text"
    assert assistant.content[0].type == "output_text"
    assert isinstance(call, FunctionCall)


@pytest.mark.parametrize(
    "item",
    [
        {"content": "neither type nor role"},
        {"role": "user"},
        {"type": "telepathy"},
        {"type": "message", "role": "user"},
        {"type": "message", "role": "user", "content": [{"type": "input_video", "url": "x"}]},
        {"type": "function_call", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c"},
        {"type": "mcp_approval_response", "approval_request_id": "r", "approve": "maybe"},
        "just a string",
    ],
)
def test_union_rejects_invalid_items(item):
    with pytest.raises(InvalidInputError):
        core.parse_items([item])


def test_item_without_type_but_with_role_is_a_message(db):
    # OpenAI's short form (EasyInputMessageParam): `type` is optional and defaults to "message".
    conv = core.create_conversation(db, items=[{"role": "user", "content": "hi"}], now=CLOCK)
    added = core.add_items(db, conv.id, [{"role": "assistant", "content": "hello"}], now=CLOCK)
    first, second = (item.to_wire() for item in core.all_items(db, conv.id))
    assert first == {
        "type": "message",
        "id": first["id"],
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
        "status": "completed",
    }
    assert re.fullmatch(r"msg_[0-9a-f]{48}", first["id"])
    assert second["type"] == "message" and second["id"] == added[0].id
    assert second["content"] == [{"type": "output_text", "text": "hello", "annotations": []}]


def test_every_item_type_round_trips(db):
    items = [
        msg(
            [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "https://x/y.png"},
                {"type": "input_file", "file_id": "file-1"},
            ]
        ),
        msg([{"type": "output_text", "text": "ok"}, {"type": "refusal", "refusal": "no"}], role="assistant"),
        msg("be brief", role="system"),
        msg("be kind", role="developer"),
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
        {"type": "file_search_call", "queries": ["q"]},
        {"type": "web_search_call", "action": {"type": "search", "query": "q"}},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thought"}]},
        {"type": "mcp_list_tools", "server_label": "s", "tools": [{"name": "t"}]},
        {"type": "mcp_approval_request", "server_label": "s", "name": "t", "arguments": "{}"},
        {"type": "mcp_approval_response", "approval_request_id": "r1", "approve": True},
        {"type": "mcp_call", "server_label": "s", "name": "t", "arguments": "{}", "output": "done"},
        {"type": "computer_call", "call_id": "c2", "action": {"type": "click", "x": 1, "y": 2}},
        {"type": "computer_call_output", "call_id": "c2", "output": {"type": "computer_screenshot"}},
        {"type": "code_interpreter_call", "container_id": "cntr", "code": "1+1"},
        {"type": "image_generation_call", "result": "b64"},
        {"type": "local_shell_call", "call_id": "c3", "action": {"type": "exec", "command": ["ls"]}},
        {"type": "local_shell_call_output", "output": "a b"},
        {"type": "custom_tool_call", "call_id": "c4", "name": "t", "input": "x"},
    ]
    conv = core.create_conversation(db, items=items[:20], now=CLOCK)
    stored = [item.to_wire() for item in core.all_items(db, conv.id)]
    assert [s["type"] for s in stored] == [i["type"] for i in items[:20]]
    assert stored[4]["call_id"] == "c1" and stored[4]["status"] == "completed"


def test_include_controls_optional_fields(db):
    conv = core.create_conversation(
        db,
        items=[
            msg(
                [{"type": "output_text", "text": "x", "logprobs": [{"token": "x", "logprob": -0.1}]}],
                role="assistant",
            ),
            {"type": "reasoning", "summary": [], "encrypted_content": "secret-blob"},
        ],
        now=CLOCK,
    )
    plain = core.list_items(db, conv.id, order="asc").to_wire()["data"]
    assert "logprobs" not in plain[0]["content"][0]
    assert "encrypted_content" not in plain[1]
    full = core.list_items(
        db, conv.id, order="asc", include=["message.output_text.logprobs", "reasoning.encrypted_content"]
    ).to_wire()
    assert full["data"][0]["content"][0]["logprobs"][0]["logprob"] == -0.1
    assert full["data"][1]["encrypted_content"] == "secret-blob"


# --- ordering and pagination ------------------------------------------------------------------------


def _pages(db, conv_id, order, limit):
    seen, after, pages = [], None, 0
    while True:
        page = core.list_items(db, conv_id, limit=limit, after=after, order=order)
        pages += 1
        ids = [item.id for item in page.data]
        seen.extend(ids)
        if not page.has_more:
            return seen, pages
        assert len(ids) == limit  # has_more is exact: a full page precedes every further page
        after = ids[-1]


@pytest.mark.parametrize("count", [0, 1, 6, 7, 8, 14, 50])
def test_pagination_both_orders_is_exact(db, count):
    conv = core.create_conversation(db, now=CLOCK)
    added = []
    for start in range(0, count, 20):
        added += [
            i.id
            for i in core.add_items(
                db, conv.id, [msg(str(n)) for n in range(start, min(count, start + 20))], now=CLOCK
            )
        ]
    asc, asc_pages = _pages(db, conv.id, "asc", 7)
    desc, desc_pages = _pages(db, conv.id, "desc", 7)
    assert asc == added
    assert desc == added[::-1]
    assert asc_pages == desc_pages == max(1, -(-count // 7))


def test_deleted_items_leave_no_gap_in_pages(db):
    conv = core.create_conversation(db, items=[msg(str(n)) for n in range(10)], now=CLOCK)
    ids = [i.id for i in core.all_items(db, conv.id)]
    core.delete_item(db, conv.id, ids[3])
    new = core.add_items(db, conv.id, [msg("late")], now=CLOCK)[0].id
    asc, _ = _pages(db, conv.id, "asc", 3)
    assert asc == [*ids[:3], *ids[4:], new]


def test_list_conversations_newest_first_and_paged(db):
    ids = [core.create_conversation(db, now=CLOCK).id for _ in range(5)]
    first = core.list_conversations(db, limit=2)
    assert [c.id for c in first.data] == ids[::-1][:2] and first.has_more
    rest = core.list_conversations(db, limit=10, after=first.data[-1].id)
    assert [c.id for c in rest.data] == ids[::-1][2:] and not rest.has_more
    assert [c.id for c in core.list_conversations(db, order="asc").data] == ids


def test_all_items_pages_through_everything(db):
    conv = core.create_conversation(db, now=CLOCK)
    for _ in range(6):
        core.add_items(db, conv.id, [msg("x")] * 20, now=CLOCK)
    assert len(list(core.all_items(db, conv.id, page_size=7))) == 120


# --- updates, deletes, transactions -----------------------------------------------------------------


def test_update_replaces_metadata(db):
    conv = core.create_conversation(db, metadata={"a": "1", "b": "2"}, now=CLOCK)
    assert core.update_conversation(db, conv.id, {"c": "3"}).metadata == {"c": "3"}
    assert core.get_conversation(db, conv.id).metadata == {"c": "3"}


def test_deleting_a_conversation_deletes_its_items(db):
    keep = core.create_conversation(db, items=[msg("stay")], now=CLOCK)
    gone = core.create_conversation(db, items=[msg("a"), msg("b")], now=CLOCK)
    deleted = core.delete_conversation(db, gone.id)
    assert deleted.to_wire() == {"id": gone.id, "object": "conversation.deleted", "deleted": True}
    assert row_counts(db) == (1, 1)
    assert [i.content[0].text for i in core.all_items(db, keep.id)] == ["stay"]


def test_delete_item_returns_the_conversation(db):
    conv = core.create_conversation(db, metadata={"a": "b"}, items=[msg("x")], now=CLOCK)
    item = next(core.all_items(db, conv.id))
    assert core.delete_item(db, conv.id, item.id) == conv
    assert row_counts(db) == (1, 0)


def test_append_in_a_callers_transaction(db):
    conv = core.create_conversation(db, now=CLOCK)
    with pytest.raises(RuntimeError, match="open transaction"):
        core.append_items_in_tx(db, conv.id, [msg("x")], CLOCK)
    with pytest.raises(ZeroDivisionError), db.transaction():
        core.append_items_in_tx(db, conv.id, [msg(str(n)) for n in range(30)], CLOCK)
        1 / 0  # noqa: B018 - the caller fails after appending: nothing may remain
    assert row_counts(db) == (1, 0)
    with db.transaction():
        core.append_items_in_tx(db, conv.id, [msg(str(n)) for n in range(30)], CLOCK)
    assert row_counts(db) == (1, 30)


# --- validated once ----------------------------------------------------------------------------------


def test_an_item_model_of_the_union_is_kept_as_is_not_validated_again(db):
    conv = core.create_conversation(db, now=CLOCK)
    given = Message.model_validate(msg("as given", id="mine"))
    (added,) = core.add_items(db, conv.id, [given], now=CLOCK)
    assert added is given
    (stored,) = core.all_items(db, conv.id)
    assert stored.to_wire() == given.to_wire()


def test_the_wire_answer_of_an_add_is_what_was_stored(db):
    conv = core.create_conversation(db, now=CLOCK)
    given = [
        Message.model_validate(msg("model")),
        msg("mapping", id="chosen"),
        {"role": "user", "content": "x"},
    ]
    page = core.add_items_wire(db, conv.id, given, now=CLOCK)
    stored = core.list_items(db, conv.id, order="asc").to_wire()
    assert page == {**stored, "has_more": False}
    assert [item["id"] for item in page["data"]][1] == "chosen"


def test_an_item_model_with_text_utf8_cannot_hold_is_refused_before_writing(db):
    conv = core.create_conversation(db, now=CLOCK)
    bad = Message.model_validate(msg("ok \ud800 not"))
    with pytest.raises(InvalidInputError) as caught:
        core.add_items(db, conv.id, [Message.model_validate(msg("fine")), bad], now=CLOCK)
    assert caught.value.code == "invalid_text" and "items[1]" in caught.value.message
    assert row_counts(db) == (1, 0)
