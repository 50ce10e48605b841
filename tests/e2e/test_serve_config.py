"""`stackctl serve --config run.yaml` on a fresh database, no variable set and no prior `register`: the
reference's manual client sequence through the official `openai` SDK, answered by the fake provider.

The run config is what local providers and llama-stack's own distributions write: the key is
`${env.OPENAI_API_KEY:=none}`, so with the variable unset the provider is called with `Bearer none`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve_openai_sdk import Server, _start, _stop, clean_env
from tests.fakes import FakeOpenAI

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

RUN_YAML = """\
version: 2
image_name: manual
apis: [inference]
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      base_url: {url}
      api_key: ${{env.OPENAI_API_KEY:=none}}
models:
- model_id: gpt-4.1
  provider_id: openai
  provider_model_id: gpt-4.1
  model_type: llm
"""


@dataclass
class Served:
    server: Server
    fake: FakeOpenAI
    db: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve-config")
    fake = FakeOpenAI().start()
    try:
        run_yaml = tmp / "run.yaml"
        run_yaml.write_text(RUN_YAML.format(url=fake.base_url))
        env = clean_env(tmp)
        env.pop("OPENAI_API_KEY", None)
        db = tmp / "serve.db"
        assert not db.exists()  # fresh: nothing registered before
        server = _start(tmp, "--config", str(run_yaml), env=env)
        try:
            yield Served(server, fake, db)
        finally:
            _stop(server)
    finally:
        fake.stop()


@pytest.fixture
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.server.base_url, api_key="x", max_retries=0)


def _texts(item: Any) -> str:
    return "".join(part.text for part in item.content)


def test_the_file_was_registered_at_start(client: openai.OpenAI, served: Served) -> None:
    assert [m.id for m in client.models.list()] == ["openai/gpt-4.1"]
    assert "registered stack manual from" in served.server.log.read_text()


def test_the_manual_client_sequence(client: openai.OpenAI, served: Served) -> None:
    conv = client.conversations.create(
        metadata={"topic": "demo"},
        items=[{"type": "message", "role": "user", "content": "Hello!"}],
    )
    assert conv.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conv.id).id == conv.id
    updated = client.conversations.update(conv.id, metadata={"topic": "project-x"})
    assert updated.metadata == {"topic": "project-x"}

    created = client.conversations.items.create(
        conv.id,
        items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "more"}]}],
    )
    new_id = created.data[0].id
    listed = client.conversations.items.list(conv.id, limit=10)
    assert new_id in [i.id for i in listed.data]
    assert client.conversations.items.retrieve(new_id, conversation_id=conv.id).id == new_id
    client.conversations.items.delete(new_id, conversation_id=conv.id)
    assert new_id not in [i.id for i in client.conversations.items.list(conv.id).data]
    deleted = client.conversations.delete(conv.id)
    assert deleted.deleted is True

    # Two responses in a conversation, with client code written for the OpenAI API: model="gpt-4.1".
    chat = client.conversations.create()
    first = client.responses.create(model="gpt-4.1", input="What is 2+2?", conversation=chat.id)
    second = client.responses.create(model="gpt-4.1", input="And times 3?", conversation=chat.id)
    assert first.output_text == "echo: What is 2+2?"
    assert second.output_text == "echo: And times 3?"
    items = list(client.conversations.items.list(chat.id, order="asc"))
    assert [_texts(i) for i in items] == [
        "What is 2+2?",
        "echo: What is 2+2?",
        "And times 3?",
        "echo: And times 3?",
    ]

    with pytest.raises(openai.NotFoundError) as info:
        client.conversations.retrieve("conv_nonexistent123")
    assert info.value.status_code == 404

    # The provider saw the file's default key, since OPENAI_API_KEY is unset; it is not a secret of ours.
    posts = [r for r in served.fake.requests if r.method == "POST"]
    assert len(posts) == 2
    for request in posts:
        assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == "Bearer none"
        assert request.body["model"] == "gpt-4.1"
