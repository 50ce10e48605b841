"""`stackctl serve` as a real subprocess on a free loopback port, driven by the official `openai` SDK."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

API_KEY = "test-key-0123"


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a stackctl subprocess: no STACKCTL_* leaks in, its own data dir, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env["STACKCTL_DATA_DIR"] = str(tmp / "data")
    env.update(extra)
    return env


def _start(
    tmp: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    location: str | None = None,
    wait_seconds: float = 20,
) -> Server:
    """`stackctl serve` on a free port of 127.0.0.1 (database `location`, else tmp/serve.db), once healthy."""
    port = _free_port()
    log = tmp / f"serve-{port}.log"
    env = env or clean_env(tmp)
    argv = [
        sys.executable,
        "-m",
        "stackctl",
        "--db",
        location or str(tmp / "serve.db"),
        "serve",
        "--port",
        str(port),
        *extra,
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}/v1", process, log)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=0.5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    _stop(server)
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()}")


def _stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = _start(tmp_path_factory.mktemp("serve"))
    try:
        yield running
    finally:
        _stop(running)


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = _start(tmp_path_factory.mktemp("serve-key"), "--api-key", API_KEY)
    try:
        yield running
    finally:
        _stop(running)


@pytest.fixture
def client(server: Server) -> openai.OpenAI:
    # No retries: a 5xx must fail the test, not be hidden by the SDK retrying it.
    return openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)


def _message(text: str, role: str = "user") -> dict[str, str]:
    return {"type": "message", "role": role, "content": text}


def test_conversation_lifecycle(client: openai.OpenAI) -> None:
    conv = client.conversations.create(metadata={"topic": "demo"}, items=[_message("hello")])
    assert conv.id.startswith("conv_")
    assert conv.metadata == {"topic": "demo"}

    assert client.conversations.retrieve(conv.id).id == conv.id
    updated = client.conversations.update(conv.id, metadata={"topic": "changed", "n": "2"})
    assert updated.metadata == {"topic": "changed", "n": "2"}

    added = client.conversations.items.create(
        conv.id, items=[_message("second"), _message("an answer", role="assistant")]
    )
    assert [item.type for item in added.data] == ["message", "message"]
    answer_id = added.data[1].id
    assert added.data[1].content[0].type == "output_text"

    item = client.conversations.items.retrieve(answer_id, conversation_id=conv.id)
    assert item.id == answer_id
    assert item.content[0].text == "an answer"

    after_delete = client.conversations.items.delete(answer_id, conversation_id=conv.id)
    assert after_delete.id == conv.id
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(answer_id, conversation_id=conv.id)

    deleted = client.conversations.delete(conv.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conv.id)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(conv.id)


def test_short_message_form_without_type(client: openai.OpenAI) -> None:
    conv = client.conversations.create(items=[{"role": "user", "content": "hi"}])
    added = client.conversations.items.create(conv.id, items=[{"role": "assistant", "content": "hello"}])
    assert added.data[0].type == "message" and added.data[0].id.startswith("msg_")
    listed = client.conversations.items.list(conv.id, order="asc").data
    assert [(i.type, i.role, i.status) for i in listed] == [
        ("message", "user", "completed"),
        ("message", "assistant", "completed"),
    ]
    assert listed[0].content[0].text == "hi"


def test_items_pagination(client: openai.OpenAI) -> None:
    conv = client.conversations.create()
    texts = [f"m{n}" for n in range(45)]
    for start in range(0, len(texts), 20):
        client.conversations.items.create(conv.id, items=[_message(t) for t in texts[start : start + 20]])

    first = client.conversations.items.list(conv.id, limit=10, order="asc")
    assert [i.content[0].text for i in first.data] == texts[:10]
    assert first.has_more is True
    second = client.conversations.items.list(conv.id, limit=10, order="asc", after=first.last_id)
    assert [i.content[0].text for i in second.data] == texts[10:20]

    # Iterating the page object follows `last_id` across pages until `has_more` is false.
    every = [i.content[0].text for i in client.conversations.items.list(conv.id, limit=7, order="asc")]
    assert every == texts
    newest_first = [i.content[0].text for i in client.conversations.items.list(conv.id, limit=8)]
    assert newest_first == texts[::-1]

    with_include = client.conversations.items.list(conv.id, limit=1, include=["message.output_text.logprobs"])
    assert len(with_include.data) == 1


def test_malformed_and_unknown_ids(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as malformed:
        client.conversations.retrieve("not-a-conversation")
    assert malformed.value.status_code == 400
    assert malformed.value.code == "invalid_id"
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve("conv_" + "0" * 48)
    conv = client.conversations.create()
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve("msg_" + "0" * 48, conversation_id=conv.id)


def test_invalid_bodies(client: openai.OpenAI, server: Server) -> None:
    # A schema violation is a 400 naming the parameter, as OpenAI answers (not FastAPI's 422).
    with pytest.raises(openai.BadRequestError) as invalid:
        client.conversations.create(items=[{"type": "message", "role": "robot", "content": "x"}])  # type: ignore[list-item]
    assert "items[0]" in invalid.value.message
    assert invalid.value.param is not None and invalid.value.param.startswith("items[0]")
    with pytest.raises(openai.BadRequestError):
        client.conversations.create(metadata={f"k{n}": "v" for n in range(17)})
    bad_json = httpx.post(
        f"{server.base_url}/conversations", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["code"] == "invalid_json"
    too_big = httpx.post(f"{server.base_url}/conversations", content=b"x" * (2 * 1024 * 1024))
    assert too_big.status_code == 413
    assert set(too_big.json()["error"]) == {"message", "type", "param", "code"}


def test_limit_violations_are_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as too_many:
        client.conversations.create(items=[_message(str(n)) for n in range(21)])
    assert too_many.value.param == "items" and "at most 20" in too_many.value.message
    conv = client.conversations.create()
    with pytest.raises(openai.BadRequestError) as too_many_added:
        client.conversations.items.create(conv.id, items=[_message(str(n)) for n in range(21)])
    assert too_many_added.value.param == "items"
    for limit in (0, 500):
        with pytest.raises(openai.BadRequestError) as bad_limit:
            client.conversations.items.list(conv.id, limit=limit)
        assert bad_limit.value.param == "limit" and bad_limit.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as metadata:
        client.conversations.create(metadata={f"k{n}": "v" for n in range(17)})
    assert metadata.value.param == "metadata"
    assert client.conversations.items.list(conv.id).data == []


def test_models_and_openapi(client: openai.OpenAI, server: Server) -> None:
    assert list(client.models.list()) == []
    document = httpx.get(f"{server.base_url.removesuffix('/v1')}/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/v1/conversations/{conversation_id}/items"]) == {"get", "post"}
    assert "/v1/models" in paths and "/v1/health" in paths


def test_api_key_required(keyed_server: Server) -> None:
    wrong = openai.OpenAI(base_url=keyed_server.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.conversations.create()
    right = openai.OpenAI(base_url=keyed_server.base_url, api_key=API_KEY, max_retries=0)
    conv = right.conversations.create(metadata={"k": "v"})
    assert right.conversations.retrieve(conv.id).metadata == {"k": "v"}
    assert httpx.get(f"{keyed_server.base_url}/health").status_code == 200


def _worker(
    base_url: str, until: float, expected: dict[str, int], failures: list[str], lock: threading.Lock
) -> None:
    sdk = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=30)
    mine: dict[str, int] = {}
    step = 0
    try:
        while time.monotonic() < until:
            if not mine or step % 7 == 0:
                conv = sdk.conversations.create(items=[_message("first")], metadata={"step": str(step)})
                mine[conv.id] = 1
            conv_id = list(mine)[step % len(mine)]
            batch = 1 + step % 5
            sdk.conversations.items.create(conv_id, items=[_message(f"s{step}n{n}") for n in range(batch)])
            mine[conv_id] += batch
            sdk.conversations.items.list(conv_id, limit=5)
            sdk.conversations.update(conv_id, metadata={"step": str(step)})
            sdk.conversations.retrieve(conv_id)
            step += 1
    except Exception as exc:  # any failure, 5xx included, is reported by the test
        failures.append(f"{type(exc).__name__}: {exc}")
    with lock:
        expected.update(mine)


def test_twenty_concurrent_clients(server: Server, client: openai.OpenAI) -> None:
    expected: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    until = time.monotonic() + 10  # the figure: 20 clients for 10 seconds
    threads = [
        threading.Thread(target=_worker, args=(server.base_url, until, expected, failures, lock))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[:5]
    assert len(expected) >= 20
    for conv_id, count in expected.items():
        assert sum(1 for _ in client.conversations.items.list(conv_id, limit=100)) == count, conv_id
