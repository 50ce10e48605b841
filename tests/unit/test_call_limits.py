"""Bounds of a provider call: the deadline (retries included), the answer cap, the env that sets them, and
the HTTP clients (one per origin, no CA bundle for http://). Against the fake provider on 127.0.0.1."""

from __future__ import annotations

import json

import httpx
import pytest

from stackctl.errors import (
    EXIT_INVALID,
    EXIT_UPSTREAM,
    InvalidInputError,
    ProviderTimeoutError,
    UpstreamError,
)
from stackctl.inference.client import InferenceClient
from stackctl.inference.endpoints import endpoint_for
from stackctl.inference.limits import DEFAULT_MAX_ANSWER_BYTES, Timeouts, limits_from_env
from stackctl.inference.retries import RetryPolicy
from stackctl.inference.transport import HttpClients, new_client, origin
from tests.fakes import FakeOpenAI, reply, sleep, status
from tests.unit.test_inference import KEY, Sleeps, user


class Clock:
    """A monotonic clock that moves only when a sleep is recorded (so backoff spends deadline time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(fake: FakeOpenAI, **options: object) -> InferenceClient:
    endpoint = endpoint_for("openai", {"base_url": fake.base_url, "api_key": KEY})
    return InferenceClient(endpoint, **options)  # type: ignore[arg-type]


def test_no_retry_is_started_that_the_deadline_leaves_no_time_for(fake_openai: FakeOpenAI) -> None:
    fake_openai.set_default(status(500))
    sleeps = Sleeps()
    with (
        _client(
            fake_openai,
            timeouts=Timeouts(total=5),
            retry=RetryPolicy(attempts=3, backoff=10),
            sleep=sleeps,
            jitter=lambda: 0.5,
        ) as client,
        pytest.raises(UpstreamError, match=r"HTTP 500.*no time is left for another within the 5s deadline"),
    ):
        client.chat(user("x"))
    assert sleeps == []
    assert len(fake_openai.requests) == 1


def test_backoff_spends_the_deadline(fake_openai: FakeOpenAI) -> None:
    fake_openai.set_default(status(503))
    clock = Clock()
    waited: list[float] = []

    def spend(seconds: float) -> None:
        waited.append(seconds)
        clock.now += seconds

    with (
        _client(
            fake_openai,
            timeouts=Timeouts(total=3),
            retry=RetryPolicy(attempts=5, backoff=1),
            sleep=spend,
            jitter=lambda: 0.5,
            clock=clock,
        ) as client,
        pytest.raises(UpstreamError, match="after 2 attempts; no time is left"),
    ):
        client.chat(user("x"))
    assert waited == [1.0]  # 1 s spent, 2 s left: the next backoff (2 s) does not fit
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_hung_provider_is_bounded_by_the_deadline(fake_openai: FakeOpenAI, stream: bool) -> None:
    fake_openai.set_default(sleep(30))
    with (
        _client(fake_openai, timeouts=Timeouts.deadline(0.3), retry=RetryPolicy(attempts=3)) as client,
        pytest.raises(
            ProviderTimeoutError, match=r"within the 0.3s deadline \(retries included\): waited"
        ) as info,
    ):
        list(client.chat_stream(user("x"))) if stream else client.chat(user("x"))
    assert info.value.exit_code == EXIT_UPSTREAM
    assert "--timeout" in str(info.value.hint)
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_over_the_cap_is_refused_and_not_retried(fake_openai: FakeOpenAI, stream: bool) -> None:
    fake_openai.set_default(reply("x" * 5000))
    with (
        _client(fake_openai, max_answer_bytes=1000, retry=RetryPolicy(attempts=3)) as client,
        pytest.raises(UpstreamError, match="with more than 1000 bytes") as info,
    ):
        list(client.chat_stream(user("x"))) if stream else client.chat(user("x"))
    assert info.value.code == "answer_too_large"
    assert len(fake_openai.requests) == 1


def test_an_answer_under_the_cap_is_whole(fake_openai: FakeOpenAI) -> None:
    fake_openai.set_default(reply("x" * 500))
    with _client(fake_openai, max_answer_bytes=5000) as client:
        assert client.chat(user("x"))["choices"][0]["message"]["content"] == "x" * 500
        streamed = "".join(
            choice["delta"].get("content") or ""
            for chunk in client.chat_stream(user("x"))
            for choice in chunk["choices"]
        )
    assert streamed == "x" * 500


def test_limits_from_env() -> None:
    assert limits_from_env({}) == (Timeouts(), DEFAULT_MAX_ANSWER_BYTES)
    timeouts, cap = limits_from_env({"STACKCTL_TIMEOUT": "2.5", "STACKCTL_MAX_ANSWER_BYTES": "4096"})
    assert (timeouts.total, timeouts.idle, timeouts.read, cap) == (2.5, 2.5, 2.5, 4096)
    for name, value in [
        ("STACKCTL_TIMEOUT", "soon"),
        ("STACKCTL_TIMEOUT", "0"),
        ("STACKCTL_MAX_ANSWER_BYTES", "1.5"),
    ]:
        with pytest.raises(InvalidInputError, match=name) as info:
            limits_from_env({name: value})
        assert info.value.exit_code == EXIT_INVALID


def test_http_providers_get_no_ca_bundle_https_ones_do() -> None:
    def ca_count(client: httpx.Client) -> int:
        pool = client._transport._pool  # type: ignore[attr-defined]
        return int(pool._ssl_context.cert_store_stats()["x509_ca"])

    with new_client("http://127.0.0.1:9/v1") as plain, new_client("https://api.example.invalid/v1") as tls:
        assert ca_count(plain) == 0
        assert ca_count(tls) > 0


def test_one_client_per_origin_until_closed() -> None:
    clients = HttpClients()
    first = clients.get("http://127.0.0.1:8000/v1")
    assert clients.get("http://127.0.0.1:8000/other") is first
    assert clients.get("http://127.0.0.1:8001/v1") is not first
    assert origin("https://api.openai.com/v1") == "https://api.openai.com:443"
    assert len(clients) == 2
    clients.close()
    assert first.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        clients.get("http://127.0.0.1:8000/v1")


class _Trickler:
    """A provider that opens a stream, sends one chunk, then only blank lines (each one resets a socket's
    read timeout) until the client goes or `seconds` pass."""

    def __init__(self, seconds: float = 30.0) -> None:
        import socket
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.seconds, self.finished = seconds, False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def _serve(self) -> None:
        import time

        conn, _ = self.listener.accept()
        with conn:
            conn.recv(65536)
            delta = {"index": 0, "delta": {"content": "hi"}, "finish_reason": None}
            chunk = json.dumps(
                {"id": "c", "object": "chat.completion.chunk", "created": 1, "choices": [delta]}
            )
            head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            try:
                conn.sendall(f"{head}data: {chunk}\n\n".encode())
                end = time.monotonic() + self.seconds
                while time.monotonic() < end:
                    conn.sendall(b"\n")
                    time.sleep(0.02)
                self.finished = True
            except OSError:
                pass  # the client gave up, as it should


def test_a_stream_that_sends_only_blank_lines_meets_its_idle_deadline() -> None:
    trickler = _Trickler()
    clock = Clock()

    def tick() -> float:  # each look at the clock is 0.1 s later: 20 blank lines spend the 2 s deadline
        clock.now += 0.1
        return clock.now

    endpoint = endpoint_for("openai", {"base_url": trickler.base_url, "api_key": KEY})
    with InferenceClient(endpoint, timeouts=Timeouts(idle=2.0), clock=tick) as client:
        stream = client.chat_stream(user("x"))
        assert next(stream)["choices"][0]["delta"]["content"] == "hi"
        with pytest.raises(ProviderTimeoutError, match=r"sent nothing for 2s mid-stream"):
            next(stream)
    assert not trickler.finished  # ended by the deadline, not by the provider
    trickler.listener.close()
