"""`/v1/responses` of a real `stackctl serve` subprocess, driven by the official `openai` SDK.

The server's database has a stack registered (`stackctl --db DB register run.yaml`) whose `remote::openai`
provider points at the fake provider on 127.0.0.1; its API key comes from the server's environment only.
One server and one fake provider serve the whole module, so tests look at the provider's requests as deltas.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_responses import run_config
from tests.e2e.test_serve_openai_sdk import Server, _start, _stop, clean_env
from tests.fakes import FakeOpenAI, cut_stream_after, status

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

MODEL = "fake-model"
SECRET = "sk-from-the-server-env"
MISSING_CONV = "conv_" + "ab" * 24


@dataclass
class Stack:
    server: Server
    fake: FakeOpenAI
    db: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("serve-responses")
    fake = FakeOpenAI().start()
    try:
        db = tmp / "serve.db"
        run_yaml = tmp / "run.yaml"
        run_yaml.write_text(run_config(fake.base_url))
        env = clean_env(tmp, OPENAI_API_KEY=SECRET)
        registered = subprocess.run(
            [sys.executable, "-m", "stackctl", "--db", str(db), "register", str(run_yaml)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert registered.returncode == 0, registered.stderr
        server = _start(tmp, env=env)
        try:
            yield Stack(server, fake, db)
        finally:
            _stop(server)
    finally:
        fake.stop()


@pytest.fixture
def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.server.base_url, api_key="x", max_retries=0)


def _chat_posts(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests if r.method == "POST"]


def _texts(item: Any) -> str:
    return "".join(part.text for part in item.content)


def test_two_turns_in_a_conversation(client: openai.OpenAI, stack: Stack) -> None:
    conv = client.conversations.create()
    before = len(_chat_posts(stack.fake))
    first = client.responses.create(model=MODEL, input="hello", conversation=conv.id)
    second = client.responses.create(model=MODEL, input="again", conversation=conv.id)
    assert first.output_text == "echo: hello"
    assert second.output_text == "echo: again"
    assert second.conversation is not None and second.conversation.id == conv.id
    assert first.usage is not None and first.usage.input_tokens_details.cached_tokens == 0
    assert first.usage.output_tokens_details.reasoning_tokens == 0

    items = list(client.conversations.items.list(conv.id, order="asc"))
    assert [(i.type, i.role) for i in items] == [
        ("message", "user"),
        ("message", "assistant"),
        ("message", "user"),
        ("message", "assistant"),
    ]
    assert [_texts(i) for i in items] == ["hello", "echo: hello", "again", "echo: again"]
    assert items[1].id == first.output[0].id
    assert items[3].id == second.output[0].id

    posts = _chat_posts(stack.fake)[before:]
    assert len(posts) == 2
    assert [m["role"] for m in posts[1]["messages"]] == ["user", "assistant", "user"]
    assert "echo: hello" in str(posts[1]["messages"][1]["content"])
    # The key reached the provider from the server's environment, not from the database.
    headers = [r.headers for r in stack.fake.requests if r.method == "POST"][-1]
    assert {k.lower(): v for k, v in headers.items()}["authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in stack.db.read_bytes()


def test_streaming_commits_before_completed(client: openai.OpenAI) -> None:
    conv = client.conversations.create()
    deltas: list[str] = []
    completed = None
    items_at_completed: list[Any] = []
    with client.responses.create(model=MODEL, input="stream me", conversation=conv.id, stream=True) as events:
        for event in events:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
            elif event.type == "response.completed":
                completed = event.response
                items_at_completed = list(client.conversations.items.list(conv.id, order="asc"))
    assert completed is not None
    assert "".join(deltas) == "echo: stream me" == completed.output_text
    assert len(deltas) > 1
    assert [i.role for i in items_at_completed] == ["user", "assistant"]
    assert items_at_completed[1].id == completed.output[0].id
    assert client.responses.retrieve(completed.id).output_text == "echo: stream me"


def test_retrieve_input_items_list_and_delete(client: openai.OpenAI, stack: Stack) -> None:
    response = client.responses.create(model=MODEL, input="keep me", metadata={"k": "v"})
    fetched = client.responses.retrieve(response.id)
    assert fetched.id == response.id and fetched.output_text == "echo: keep me"
    assert fetched.metadata == {"k": "v"}

    inputs = client.responses.input_items.list(response.id)
    assert [(i.type, i.role) for i in inputs.data] == [("message", "user")]
    assert inputs.data[0].content[0].text == "keep me"

    # The SDK has no `responses.list`; the route is OpenAI's shape all the same.
    listed = httpx.get(
        f"{stack.server.base_url}/responses", params={"limit": 1, "model": response.model}
    ).json()
    assert listed["object"] == "list" and listed["first_id"] == response.id
    older = httpx.get(
        f"{stack.server.base_url}/responses", params={"after": response.id, "order": "desc"}
    ).json()
    assert response.id not in [r["id"] for r in older["data"]]

    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(response.id)


def test_unknown_conversation_is_404_and_leaves_nothing(client: openai.OpenAI, stack: Stack) -> None:
    base = stack.server.base_url
    stored_before = httpx.get(f"{base}/responses", params={"limit": 100}).json()["data"]
    posts_before = len(_chat_posts(stack.fake))
    with pytest.raises(openai.NotFoundError) as missing:
        client.responses.create(model=MODEL, input="lost", conversation=MISSING_CONV)
    assert missing.value.code == "conversation_not_found"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="lost", conversation=MISSING_CONV, stream=True)
    assert len(_chat_posts(stack.fake)) == posts_before
    assert httpx.get(f"{base}/responses", params={"limit": 100}).json()["data"] == stored_before


def test_errors_before_streaming_have_their_status(client: openai.OpenAI, stack: Stack) -> None:
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model", input="x")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model=MODEL, input="x", conversation=MISSING_CONV, previous_response_id="resp_" + "0" * 48
        )
    with pytest.raises(openai.BadRequestError) as malformed:
        client.responses.retrieve("not-a-response")
    assert malformed.value.code == "invalid_id"
    with pytest.raises(openai.BadRequestError) as schema:
        client.responses.create(model=MODEL, input="x", temperature=5, stream=True)
    assert schema.value.body["param"] == "temperature"  # type: ignore[index]
    # The provider's own 400 is passed on as a 400 with its message.
    stack.fake.script(status(400, "the provider refuses"))
    with pytest.raises(openai.BadRequestError) as upstream:
        client.responses.create(model=MODEL, input="x")
    assert "the provider refuses" in upstream.value.message


def test_openapi_describes_the_routes(stack: Stack) -> None:
    document = httpx.get(f"{stack.server.base_url.removesuffix('/v1')}/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/v1/responses"]) == {"get", "post"}
    assert set(paths["/v1/responses/{response_id}"]) == {"get", "delete"}
    assert set(paths["/v1/responses/{response_id}/input_items"]) == {"get"}
    create = paths["/v1/responses"]["post"]
    assert set(create["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert {"400", "404", "502"} <= set(create["responses"])
    assert "422" not in create["responses"]
    listed = {p["name"] for p in paths["/v1/responses"]["get"]["parameters"]}
    assert listed == {"limit", "after", "order", "model"}
    inputs = {p["name"] for p in paths["/v1/responses/{response_id}/input_items"]["get"]["parameters"]}
    assert inputs == {"response_id", "limit", "after", "before", "order"}


def test_reference_manual_flow(client: openai.OpenAI) -> None:
    """The reference's manual test of conversations and responses, step by step, every step passing."""
    # 1. create with metadata and items
    conv = client.conversations.create(
        metadata={"topic": "demo"},
        items=[{"type": "message", "role": "user", "content": "Hello!"}],
    )
    assert conv.id.startswith("conv_") and conv.metadata == {"topic": "demo"}
    # 2. retrieve
    assert client.conversations.retrieve(conv.id).metadata == {"topic": "demo"}
    # 3. update
    assert client.conversations.update(conv.id, metadata={"topic": "project-x"}).metadata == {
        "topic": "project-x"
    }
    # 4. items create
    added = client.conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi there"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "And again"}]},
        ],
    )
    assert len(added.data) == 2
    # 5. items list with limit
    page = client.conversations.items.list(conv.id, limit=2)
    assert len(page.data) == 2 and page.has_more is True
    assert page.data[0].content[0].text == "And again"
    # 6. item retrieve
    item = client.conversations.items.retrieve(added.data[0].id, conversation_id=conv.id)
    assert item.content[0].text == "Hi there"
    # 7. item delete
    assert client.conversations.items.delete(added.data[0].id, conversation_id=conv.id).id == conv.id
    assert len(list(client.conversations.items.list(conv.id))) == 2
    # 8. conversation delete
    assert client.conversations.delete(conv.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conv.id)
    # 9. two responses in one conversation, then the items listed
    conv = client.conversations.create()
    first = client.responses.create(model=MODEL, input="What is 2+2?", conversation=conv.id)
    second = client.responses.create(model=MODEL, input="And times 3?", conversation=conv.id)
    listed = list(client.conversations.items.list(conv.id, order="asc"))
    assert [i.role for i in listed] == ["user", "assistant", "user", "assistant"]
    assert [listed[1].id, listed[3].id] == [first.output[0].id, second.output[0].id]
    assert _texts(listed[3]) == second.output_text
    # 10. a fake conversation id is rejected
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="Hello", conversation=MISSING_CONV)


def test_stream_broken_by_the_provider_ends_failed_and_writes_nothing(
    client: openai.OpenAI, stack: Stack
) -> None:
    conv = client.conversations.create()
    stack.fake.script(cut_stream_after(2))
    with client.responses.create(model=MODEL, input="cut me", conversation=conv.id, stream=True) as events:
        kinds = [event.type for event in events]
    assert kinds[-1] == "response.failed"
    assert "response.completed" not in kinds
    assert list(client.conversations.items.list(conv.id)) == []
