"""The responses core with an injected client factory: retries, failures, streamed commits, chains, paging."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from stackctl.conversations import service as conv
from stackctl.errors import InvalidInputError, NotFoundError, UpstreamError, UsageError
from stackctl.inference.client import InferenceClient, client_for_provider
from stackctl.inference.retries import RetryPolicy
from stackctl.models.conversations import ItemAdapter
from stackctl.models.responses import Response
from stackctl.registry.routing import ModelTarget
from stackctl.responses import service as core
from stackctl.responses import turn
from stackctl.responses.translation import items_to_messages
from stackctl.store import registry
from stackctl.store.database import Database
from stackctl.store.open import open_database
from tests.fakes import FakeOpenAI, cut_stream_after, status, token_details

ENV = {"OPENAI_API_KEY": "sk-unit"}


def fast_factory(target: ModelTarget, env: Mapping[str, str]) -> InferenceClient:
    """The real client with no waiting between retries."""
    return client_for_provider(
        target.provider_type,
        target.config,
        provider_id=target.provider_id,
        retry=RetryPolicy(attempts=3),
        sleep=lambda _seconds: None,
    )


@pytest.fixture
def db(db_location: str, fake_openai: FakeOpenAI) -> Database:
    database = open_database(db_location)
    with database.transaction():
        registry.upsert_stack(database, "demo", None, 1)
        config = {"base_url": fake_openai.base_url, "api_key": "${env.OPENAI_API_KEY}"}
        registry.put_provider(
            database,
            "demo",
            {
                "api": "inference",
                "provider_id": "openai",
                "provider_type": "remote::openai",
                "config": config,
            },
        )
        model = {"model_id": "fake-model", "provider_id": "openai", "provider_model_id": "fake-model"}
        registry.put_resource(
            database,
            {
                "stack": "demo",
                "kind": "model",
                "identifier": "openai/fake-model",
                "provider_id": "openai",
                "provider_resource_id": "fake-model",
                "spec": model,
            },
            1,
        )
    return database


def ask(db: Database, text: str | list[dict[str, object]], **extra: object) -> Response:
    request = {"model": "fake-model", "input": text, **extra}
    return core.create_response(db, request, env=ENV, now=lambda: 42, client_factory=fast_factory)


def test_500_then_200_succeeds_after_a_retry(db: Database, fake_openai: FakeOpenAI) -> None:
    conv_id = conv.create_conversation(db).id
    fake_openai.script(status(500))
    response = ask(db, "hi", conversation=conv_id)
    assert response.status == "completed" and response.output_text == "echo: hi"
    assert len(fake_openai.requests) == 2
    assert [i.id for i in conv.all_items(db, conv_id)][1] == response.output[0].id


def test_a_provider_that_keeps_failing_is_exit_6_and_writes_nothing(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    conv_id = conv.create_conversation(db).id
    fake_openai.set_default(status(503))
    with pytest.raises(UpstreamError) as caught:
        ask(db, "hi", conversation=conv_id)
    assert caught.value.exit_code == 6
    assert len(fake_openai.requests) == 3
    assert list(conv.all_items(db, conv_id)) == []
    assert core.list_responses(db).data == []


def test_items_are_committed_before_response_completed(db: Database) -> None:
    conv_id = conv.create_conversation(db).id
    events = core.stream_response(
        db, {"model": "fake-model", "input": "a b"}, env=ENV, client_factory=fast_factory
    )
    seen_at_completion = None
    for event in events:
        if event["type"] == "response.completed":
            seen_at_completion = len(list(conv.all_items(db, conv_id)))
    assert seen_at_completion == 0  # no conversation in this request: nothing to append
    events = core.stream_response(
        db,
        {"model": "fake-model", "input": "a b", "conversation": conv_id},
        env=ENV,
        client_factory=fast_factory,
    )
    for event in events:
        if event["type"] == "response.completed":
            items = list(conv.all_items(db, conv_id))
            assert [i.id for i in items][1] == event["response"]["output"][0]["id"]
            assert core.get_response(db, event["response"]["id"]).status == "completed"


def test_a_stream_cut_midway_writes_nothing(db: Database, fake_openai: FakeOpenAI) -> None:
    conv_id = conv.create_conversation(db).id
    fake_openai.script(cut_stream_after(2))
    kinds = []
    with pytest.raises(UpstreamError):
        for event in core.stream_response(
            db,
            {"model": "fake-model", "input": "a b c d", "conversation": conv_id},
            env=ENV,
            client_factory=fast_factory,
        ):
            kinds.append(event["type"])
    assert kinds[-1] == "response.failed" and "response.output_text.delta" in kinds
    assert list(conv.all_items(db, conv_id)) == []
    assert core.list_responses(db).data == []


def test_a_consumer_that_stops_reading_writes_nothing(db: Database) -> None:
    conv_id = conv.create_conversation(db).id
    events = core.stream_response(
        db,
        {"model": "fake-model", "input": "a b c", "conversation": conv_id},
        env=ENV,
        client_factory=fast_factory,
    )
    for event in events:
        if event["type"] == "response.output_text.delta":
            break
    events.close()  # type: ignore[attr-defined]
    assert list(conv.all_items(db, conv_id)) == []


def test_checks_happen_before_any_provider_call(db: Database, fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UsageError):
        ask(db, "x", conversation="conv_" + "a" * 48, previous_response_id="resp_" + "b" * 48)
    with pytest.raises(NotFoundError):
        ask(db, "x", conversation="conv_" + "a" * 48)
    with pytest.raises(NotFoundError):
        ask(db, "x", previous_response_id="resp_" + "b" * 48)
    with pytest.raises(NotFoundError):
        core.stream_response(db, {"model": "nope", "input": "x"}, env=ENV)
    with pytest.raises(InvalidInputError):
        ask(db, "x", temperature=9)
    assert fake_openai.requests == []


def _user(text: str, item_id: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"type": "message", "role": "user", "content": text}
    return item if item_id is None else {**item, "id": item_id}


@pytest.mark.parametrize(
    "items",
    [
        [_user("again", "mine")],  # already in the conversation
        [_user("a", "twice"), _user("b", "twice")],  # twice in the same input
    ],
)
def test_duplicate_item_ids_fail_before_the_provider_call(
    db: Database, fake_openai: FakeOpenAI, items: list[dict[str, object]]
) -> None:
    conv_id = conv.create_conversation(db, items=[_user("earlier", "mine")]).id
    with pytest.raises(InvalidInputError) as caught:
        ask(db, items, conversation=conv_id)
    assert caught.value.code == "duplicate_item_id" and caught.value.exit_code == 3
    assert fake_openai.requests == []
    assert [i.id for i in conv.all_items(db, conv_id)] == ["mine"]
    assert core.list_responses(db).data == []


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{n}": "v" for n in range(17)},
        {"k": "v" * 513},
        {"k" * 65: "v"},
    ],
)
def test_response_metadata_limits_are_checked_before_the_provider_call(
    db: Database, fake_openai: FakeOpenAI, metadata: dict[str, str]
) -> None:
    conv_id = conv.create_conversation(db).id
    with pytest.raises(InvalidInputError) as caught:
        ask(db, "hi", conversation=conv_id, metadata=metadata)
    assert caught.value.code == "invalid_metadata" and caught.value.exit_code == 3
    with pytest.raises(InvalidInputError):
        core.stream_response(
            db,
            {"model": "fake-model", "input": "hi", "metadata": metadata},
            env=ENV,
            client_factory=fast_factory,
        )
    assert fake_openai.requests == []
    assert list(conv.all_items(db, conv_id)) == []
    assert core.list_responses(db).data == []


def test_metadata_within_the_limits_is_kept(db: Database) -> None:
    metadata = {f"k{n}": "v" * 512 for n in range(15)} | {"k" * 64: "v"}
    response = ask(db, "hi", metadata=metadata)
    assert core.get_response(db, response.id).metadata == metadata


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [{"type": "reasoning", "summary": []}],  # an item with no chat message
    ],
)
def test_input_with_no_messages_fails_before_the_provider_call(
    db: Database, fake_openai: FakeOpenAI, raw: list[dict[str, object]]
) -> None:
    conv_id = conv.create_conversation(db).id
    with pytest.raises(InvalidInputError, match="nothing to send") as caught:
        ask(db, raw, conversation=conv_id)
    assert caught.value.code == "empty_input" and caught.value.exit_code == 3
    assert fake_openai.requests == []
    assert list(conv.all_items(db, conv_id)) == []


def test_empty_input_is_fine_when_history_or_instructions_give_messages(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    conv_id = conv.create_conversation(db, items=[_user("earlier")]).id
    ask(db, [], conversation=conv_id)
    assert [m["content"] for m in fake_openai.requests[-1].body["messages"]] == ["earlier"]
    ask(db, [], instructions="Say hi.")
    assert fake_openai.requests[-1].body["messages"] == [{"role": "system", "content": "Say hi."}]


def test_missing_secret_is_reported_only_when_going_to_the_network(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    with pytest.raises(
        InvalidInputError, match=r"api_key comes from \$\{env.OPENAI_API_KEY\}, which is not set"
    ):
        core.create_response(db, {"model": "fake-model", "input": "x"}, env={})
    assert fake_openai.requests == []


def test_chain_of_previous_responses(db: Database, fake_openai: FakeOpenAI) -> None:
    one = ask(db, "one")
    two = ask(db, "two", previous_response_id=one.id)
    ask(db, "three", previous_response_id=two.id, instructions="Be brief.")
    sent = fake_openai.requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["Be brief.", "one", "echo: one", "two", "echo: two", "three"]
    assert sent[0]["role"] == "system"


def test_chain_from_a_conversation_turn_uses_the_whole_conversation(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    conv_id = conv.create_conversation(
        db, items=[{"type": "message", "role": "user", "content": "earlier"}]
    ).id
    first = ask(db, "one", conversation=conv_id)
    ask(db, "two", previous_response_id=first.id)
    sent = fake_openai.requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["earlier", "one", "echo: one", "two"]


def test_chain_from_a_conversation_turn_stops_at_that_turn(db: Database, fake_openai: FakeOpenAI) -> None:
    conv_id = conv.create_conversation(db).id
    first = ask(db, "first", conversation=conv_id)
    ask(db, "second", conversation=conv_id)
    ask(db, "branch", previous_response_id=first.id)
    sent = fake_openai.requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["first", "echo: first", "branch"]


def test_chain_from_a_turn_whose_items_left_the_conversation_uses_the_stored_turn(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    conv_id = conv.create_conversation(db).id
    first = ask(db, "first", conversation=conv_id)
    ask(db, "second", conversation=conv_id)
    for item in list(conv.all_items(db, conv_id))[:2]:
        conv.delete_item(db, conv_id, str(item.id))
    ask(db, "branch", previous_response_id=first.id)
    sent = fake_openai.requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["first", "echo: first", "branch"]


def test_input_items_paging(db: Database) -> None:
    raw = [{"role": "user", "content": f"m{n}"} for n in range(5)]
    response = core.create_response(
        db, {"model": "fake-model", "input": raw}, env=ENV, client_factory=fast_factory
    )
    ids = [i.id for i in core.list_input_items(db, response.id, order="asc").data]
    assert len(ids) == 5
    page = core.list_input_items(db, response.id, limit=2, order="asc", after=ids[1])
    assert [i.id for i in page.data] == ids[2:4] and page.has_more
    page = core.list_input_items(db, response.id, limit=2, order="asc", before=ids[3])
    assert [i.id for i in page.data] == ids[1:3] and page.has_more
    page = core.list_input_items(db, response.id, limit=2, order="desc")
    assert [i.id for i in page.data] == [ids[4], ids[3]]
    wire = page.to_wire()
    assert wire["object"] == "list" and wire["first_id"] == ids[4] and wire["has_more"] is True


def test_list_filters_by_model_and_pages(db: Database) -> None:
    made = [ask(db, f"q{n}") for n in range(3)]
    page = core.list_responses(db, limit=2)
    assert [r.id for r in page.data] == [made[2].id, made[1].id] and page.has_more
    rest = core.list_responses(db, limit=2, after=made[1].id)
    assert [r.id for r in rest.data] == [made[0].id] and not rest.has_more
    assert core.list_responses(db, model="other").data == []
    assert len(core.list_responses(db, model="openai/fake-model").data) == 3
    # The provider model id finds the same responses, as it does for create.
    assert len(core.list_responses(db, model="fake-model").data) == 3


def test_wire_shape(db: Database) -> None:
    wire = ask(db, "shape", temperature=0.5, max_output_tokens=20).to_wire()
    assert wire["object"] == "response" and wire["id"].startswith("resp_") and len(wire["id"]) == 53
    assert wire["status"] == "completed" and wire["created_at"] == 42
    message = wire["output"][0]
    assert message["id"].startswith("msg_") and message["role"] == "assistant"
    assert message["content"] == [{"type": "output_text", "text": "echo: shape", "annotations": []}]
    assert wire["usage"]["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert wire["usage"]["output_tokens_details"] == {"reasoning_tokens": 0}
    for key in ("previous_response_id", "conversation", "instructions", "error"):
        assert wire[key] is None
    assert wire["temperature"] == 0.5 and wire["max_output_tokens"] == 20 and wire["store"] is True
    assert core.get_response(db, wire["id"]).to_wire() == wire


def test_function_calls_map_to_tool_messages() -> None:
    items = [
        ItemAdapter.validate_python({"type": "message", "role": "developer", "content": "rules"}),
        ItemAdapter.validate_python(
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
        ),
        ItemAdapter.validate_python(
            {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"}
        ),
        ItemAdapter.validate_python({"type": "function_call_output", "call_id": "c1", "output": "42"}),
    ]
    messages = items_to_messages(items)
    assert messages[0] == {"role": "system", "content": "rules"}
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["c1", "c2"]
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": "42"}


def test_function_tools_reach_the_provider_as_chat_tools(db: Database, fake_openai: FakeOpenAI) -> None:
    tool = {"type": "function", "name": "weather", "parameters": {"type": "object", "properties": {}}}
    response = ask(db, "rain?", tools=[tool], tool_choice="auto")
    body = fake_openai.requests[-1].body
    assert body["tools"] == [
        {"type": "function", "function": {"name": "weather", "parameters": tool["parameters"]}}
    ]
    assert body["tool_choice"] == "auto"
    assert response.to_wire()["tools"][0] == tool


def test_tool_calls_in_a_completion_become_function_call_items() -> None:
    from stackctl.responses.translation import completion_output

    completion = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            }
        ]
    }
    output, finish = completion_output(completion)
    assert finish == "tool_calls"
    assert [(i.type, i.call_id) for i in output] == [("function_call", "c9")]  # type: ignore[union-attr]


def test_usage_of_maps_chat_token_details() -> None:
    from stackctl.responses.translation import usage_of

    raw = {
        "prompt_tokens": 10,
        "completion_tokens": 7,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 5, "accepted_prediction_tokens": None},
    }
    usage = usage_of(raw)
    assert usage is not None
    assert usage.to_wire() == {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 17,
    }
    bare = usage_of({"prompt_tokens": 1, "completion_tokens": 2, "prompt_tokens_details": None})
    assert bare is not None and bare.to_wire()["input_tokens_details"]["cached_tokens"] == 0
    assert bare.to_wire()["output_tokens_details"] == {"reasoning_tokens": 0}
    assert usage_of(None) is None


def test_usage_details_from_the_provider_reach_plain_and_streamed_responses(
    db: Database, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(token_details(cached=3, reasoning=2))
    usage = ask(db, "hi").to_wire()["usage"]
    assert usage["input_tokens_details"]["cached_tokens"] == 3
    assert usage["output_tokens_details"] == {"reasoning_tokens": 2}
    fake_openai.script(token_details(cached=1, reasoning=6))
    events = list(
        core.stream_response(db, {"model": "fake-model", "input": "hi"}, env=ENV, client_factory=fast_factory)
    )
    completed = events[-1]["response"]
    assert events[-1]["type"] == "response.completed"
    assert completed["usage"]["input_tokens_details"]["cached_tokens"] == 1
    assert completed["usage"]["output_tokens_details"] == {"reasoning_tokens": 6}
    assert core.get_response(db, completed["id"]).to_wire()["usage"] == completed["usage"]


def test_responses_validate_against_the_openai_sdk_types(db: Database) -> None:
    sdk_types = pytest.importorskip("openai.types.responses")
    sdk_types.Response.model_validate(ask(db, "plain").to_wire())
    events = list(
        core.stream_response(db, {"model": "fake-model", "input": "hi"}, env=ENV, client_factory=fast_factory)
    )
    for event in events:
        if "response" in event:
            sdk_types.Response.model_validate(event["response"])


def test_a_response_stored_without_usage_details_reads_back_with_zeros(db: Database) -> None:
    import json

    wire = ask(db, "old").to_wire()
    wire["usage"] = {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}  # as stored before the details
    with db.transaction():
        db.execute("UPDATE responses SET data = ? WHERE id = ?", (json.dumps(wire), wire["id"]))
    usage = core.get_response(db, wire["id"]).to_wire()["usage"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input", "caf\udce9"),  # argv bytes that are not UTF-8, as Python decodes them
        ("input", [{"role": "user", "content": "half \ud83d"}]),  # an unpaired escape in JSON
        ("instructions", "x\ud800"),
        ("metadata", {"k\udcff": "v"}),
    ],
)
def test_text_that_is_not_valid_unicode_is_invalid_input(field, value):
    request = {"model": "m", "input": "hi", field: value}
    with pytest.raises(InvalidInputError, match=f"^{field} is not valid UTF-8 text") as info:
        turn.parse_request(request)
    assert (info.value.code, info.value.param) == ("invalid_text", field)
