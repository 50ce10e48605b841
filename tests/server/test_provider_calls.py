"""Provider calls in a real server (uvicorn in a thread, on 127.0.0.1): they never hold the threads that serve
the other routes, a full server says so with 503 + Retry-After, deadlines give 504, HTTP clients are shared.

A held fake provider (`held()`) keeps calls in flight for exactly as long as a test needs; no test measures
time: the waits below only keep a broken server from hanging the suite.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")
import uvicorn

from stackctl.inference.limits import Timeouts
from stackctl.server.app import create_app
from stackctl.store.postgres.connection import POOL_SIZE
from tests.cli.test_responses import run_config
from tests.fakes import FakeOpenAI, held, sleep

GUARD = 60.0  # seconds before a wait is declared hung; never reached by a working server


@dataclass
class Served:
    url: str
    app: Any


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + GUARD
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.01)


@pytest.fixture
def serve(cli: Any, tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[Callable[..., Served]]:
    """`serve(**options)` starts a server over a registered stack: on a SQLite file, or on the database at
    `location=` (a PostgreSQL URL)."""
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(run_config(fake_openai.base_url))
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(location: str | None = None, **options: Any) -> Served:
        db = location or str(tmp_path / "server.db")
        registered = cli("--db", db, "register", str(run_yaml), env={"OPENAI_API_KEY": "sk-register"})
        assert registered.exit_code == 0, registered.stderr
        app = create_app(db, env={"OPENAI_API_KEY": "sk-x"}, **options)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread))
        _wait_for(lambda: server.started, "the server to start")
        return Served(f"http://127.0.0.1:{port}/v1", app)

    try:
        yield start
    finally:
        fake_openai.release()
        for server, thread in running:
            server.should_exit = True
            thread.join(GUARD)


def _create(url: str, results: list[int], **body: Any) -> threading.Thread:
    def call() -> None:
        answer = httpx.post(
            f"{url}/responses", json={"model": "fake-model", "input": "hi", **body}, timeout=GUARD
        )
        results.append(answer.status_code)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread


def _chat_posts(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.method == "POST")


@pytest.mark.parametrize("stream", [False, True])
def test_health_and_conversations_answer_while_50_provider_calls_hang(
    serve: Callable[..., Served], fake_openai: FakeOpenAI, stream: bool
) -> None:
    served = serve()
    fake_openai.set_default(held())
    results: list[int] = []
    callers = [_create(served.url, results, stream=stream) for _ in range(50)]
    # All 50 reach the provider: none waits for a thread another one holds.
    _wait_for(lambda: _chat_posts(fake_openai) == 50, "50 provider calls in flight")
    with httpx.Client(timeout=GUARD) as client:
        assert client.get(f"{served.url}/health").status_code == 200
        conv = client.post(f"{served.url}/conversations", json={"metadata": {"k": "v"}})
        assert conv.status_code == 200, conv.text
        assert client.get(f"{served.url}/conversations/{conv.json()['id']}/items").status_code == 200
        assert client.get(f"{served.url}/models").status_code == 200
    assert results == []  # the provider calls are all still pending
    assert served.app.state.provider_calls.in_flight == 50
    fake_openai.release()
    for caller in callers:
        caller.join(GUARD)
    assert results == [200] * 50
    assert served.app.state.provider_calls.in_flight == 0


@pytest.mark.parametrize("stream", [False, True])
def test_on_postgresql_provider_calls_hold_no_connection_of_the_pool(
    pg_location: str, serve: Callable[..., Served], fake_openai: FakeOpenAI, stream: bool
) -> None:
    """More slow provider calls in flight than the pool has connections: the routes that need the
    database still get one at once (a call holds none while it waits on its provider), and every held
    call still commits its turn when its provider answers."""
    served = serve(pg_location)
    calls = POOL_SIZE + 2
    fake_openai.set_default(held())
    with httpx.Client(timeout=GUARD) as client:
        conv = client.post(f"{served.url}/conversations", json={})
        assert conv.status_code == 200, conv.text
        conv_id = conv.json()["id"]
        results: list[int] = []
        callers = [_create(served.url, results, stream=stream, conversation=conv_id) for _ in range(calls)]
        # Before the fix the calls beyond the pool's size waited for a connection (30 s), then were 503.
        _wait_for(lambda: _chat_posts(fake_openai) == calls or results, f"{calls} provider calls in flight")
        assert results == []
        assert _chat_posts(fake_openai) == calls
        other = client.post(f"{served.url}/conversations", json={"metadata": {"k": "v"}})
        assert other.status_code == 200, other.text
        added = client.post(
            f"{served.url}/conversations/{conv_id}/items",
            json={"items": [{"type": "message", "role": "user", "content": "meanwhile"}]},
        )
        assert added.status_code == 200, added.text
        items = client.get(f"{served.url}/conversations/{conv_id}/items")
        assert items.status_code == 200, items.text
        assert len(items.json()["data"]) == 1
        assert client.get(f"{served.url}/responses").status_code == 200
        assert results == []  # the provider calls are all still pending
        fake_openai.release()
        for caller in callers:
            caller.join(GUARD)
        assert results == [200] * calls
        # Every turn committed: its input and its answer, besides the item added meanwhile.
        page = client.get(f"{served.url}/conversations/{conv_id}/items", params={"limit": 100}).json()
        assert len(page["data"]) == 1 + 2 * calls
        assert len(client.get(f"{served.url}/responses", params={"limit": 100}).json()["data"]) == calls


def test_a_full_server_answers_503_with_retry_after(
    serve: Callable[..., Served], fake_openai: FakeOpenAI
) -> None:
    served = serve(provider_calls=2)
    fake_openai.set_default(held())
    results: list[int] = []
    callers = [_create(served.url, results), _create(served.url, results, stream=True)]
    _wait_for(lambda: _chat_posts(fake_openai) == 2, "2 provider calls in flight")
    busy = httpx.post(f"{served.url}/responses", json={"model": "fake-model", "input": "hi"}, timeout=GUARD)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["error"]["code"] == "server_busy"
    assert _chat_posts(fake_openai) == 2  # refused before any provider call
    fake_openai.release()
    for caller in callers:
        caller.join(GUARD)
    assert results == [200, 200]
    again = httpx.post(f"{served.url}/responses", json={"model": "fake-model", "input": "hi"}, timeout=GUARD)
    assert again.status_code == 200  # the slots came back


def test_one_http_client_per_provider_and_closed_at_shutdown(
    serve: Callable[..., Served], fake_openai: FakeOpenAI
) -> None:
    served = serve()
    for _ in range(3):
        answer = httpx.post(
            f"{served.url}/responses", json={"model": "fake-model", "input": "hi"}, timeout=GUARD
        )
        assert answer.status_code == 200, answer.text
    clients = served.app.state.provider_calls.http_clients
    assert len(clients) == 1
    shared = clients.get(fake_openai.base_url)
    assert not shared.is_closed
    served.app.state.provider_calls.close()
    assert shared.is_closed


def test_a_passed_deadline_is_504_saying_how_long_it_waited(
    serve: Callable[..., Served], fake_openai: FakeOpenAI
) -> None:
    served = serve(timeouts=Timeouts.deadline(0.3))
    fake_openai.set_default(sleep(30))
    answer = httpx.post(f"{served.url}/responses", json={"model": "fake-model", "input": "hi"}, timeout=GUARD)
    assert answer.status_code == 504, answer.text
    error = answer.json()["error"]
    assert error["code"] == "provider_timeout"
    assert "within the 0.3s deadline (retries included): waited 0." in error["message"]
    assert len(fake_openai.requests) == 1  # no retry the deadline leaves no time for


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_hold_no_shared_thread_and_free_their_slots(
    serve: Callable[..., Served], fake_openai: FakeOpenAI, stream: bool
) -> None:
    served = serve(provider_calls=2)
    fake_openai.set_default(held())
    results: list[int] = []

    def call() -> None:
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
        results.append(httpx.post(f"{served.url}/chat/completions", json=body, timeout=GUARD).status_code)

    callers = [threading.Thread(target=call, daemon=True) for _ in range(2)]
    for caller in callers:
        caller.start()
    _wait_for(lambda: _chat_posts(fake_openai) == 2, "2 chat calls in flight")
    assert httpx.get(f"{served.url}/health", timeout=GUARD).status_code == 200
    busy = httpx.post(f"{served.url}/responses", json={"model": "fake-model", "input": "hi"}, timeout=GUARD)
    assert busy.status_code == 503  # the chat calls hold the slots
    fake_openai.release()
    for caller in callers:
        caller.join(GUARD)
    assert results == [200, 200]
    assert served.app.state.provider_calls.in_flight == 0
