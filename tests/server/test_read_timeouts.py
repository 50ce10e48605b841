"""Header and body read timeouts, and uvicorn's own errors as OpenAI error objects, over real sockets on
127.0.0.1: a connection that sends half its headers, or half its body, and stalls is answered 408 and
closed; a malformed request is a 400 and the connection-limit 503 an OpenAI error object."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

uvicorn = pytest.importorskip("uvicorn")

from stackctl.server import protocols  # noqa: E402
from stackctl.server.app import create_app  # noqa: E402

PARSERS = ["httptools", "h11"]
STALL = 0.3  # the timeouts of these tests, in seconds
BOUND = 15.0  # no socket read waits longer: a server that never closes fails, it does not hang


@contextmanager
def running(app: Any, http: type[Any], **options: Any) -> Iterator[int]:
    """A uvicorn server on 127.0.0.1 (a free port) in a thread, with this protocol class; its port."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http=http, loop="asyncio", log_level="error", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + BOUND
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(BOUND)


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create_app(str(tmp_path / "served.db"), body_timeout=STALL)


def _exchange(port: int, data: bytes) -> tuple[bytes, bool]:
    """Send `data`, stall, and read until the server closes: what it sent, and whether it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        return _send(sock, data)


def _send(sock: socket.socket, data: bytes) -> tuple[bytes, bool]:
    """`_exchange` on a connection already open."""
    sock.sendall(data)
    received = b""
    started = time.monotonic()
    while time.monotonic() - started < BOUND:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return received, False
        if not chunk:
            return received, True
        received += chunk
    return received, False


def _error(response: bytes) -> tuple[int, dict[str, Any], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"], head.lower()


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    "sent", [b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half", b""], ids=["half-a-header", "nothing"]
)
def test_a_connection_that_stalls_in_its_headers_is_closed(app: Any, parser: str, sent: bytes) -> None:
    with running(app, protocols.configured(parser, STALL)) as port:
        response, closed = _exchange(port, sent)
    assert closed, "the server kept the stalled connection open"
    status, error, _ = _error(response)
    assert status == 408
    assert error["code"] == "request_timeout"
    assert "request headers not received within 0.3 s" in error["message"]


@pytest.mark.parametrize("parser", PARSERS)
def test_a_second_request_that_stalls_in_its_headers_is_closed(app: Any, parser: str) -> None:
    first = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with running(app, protocols.configured(parser, STALL), timeout_keep_alive=60) as port:
        response, closed = _exchange(port, first + b"GET /v1/health HTTP/1.1\r\nHost: 1")
    assert closed
    assert response.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 408 " in response


@pytest.mark.parametrize("parser", PARSERS)
def test_headers_in_time_are_served(app: Any, parser: str) -> None:
    with (
        running(app, protocols.configured(parser, 5.0)) as port,
        socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock,
    ):
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("parser", PARSERS)
def test_a_body_that_stalls_is_408_and_the_connection_closed(app: Any, parser: str) -> None:
    request = (
        b"POST /v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
        b'{"metadata": '
    )
    with running(app, protocols.configured(parser, 5.0)) as port:
        response, closed = _exchange(port, request)
    assert closed
    status, error, head = _error(response)
    assert status == 408
    assert error["code"] == "request_timeout"
    assert "request body not received within 0.3 s" in error["message"]
    assert b"connection: close" in head


@pytest.mark.parametrize("parser", PARSERS)
def test_a_malformed_request_is_an_openai_error(app: Any, parser: str) -> None:
    with running(app, protocols.configured(parser, 5.0)) as port:
        response, closed = _exchange(port, b"NOT HTTP AT ALL\r\n\x00\x01\r\n\r\n")
    assert closed
    status, error, head = _error(response)
    assert status == 400
    assert error["code"] == "invalid_request"
    assert b"content-type: application/json" in head


@pytest.mark.parametrize("parser", PARSERS)
def test_the_connection_limit_503_is_an_openai_error(app: Any, parser: str) -> None:
    # With a limit of one, the connection itself fills it: its request is the one past the limit.
    with running(app, protocols.configured(parser, 5.0), limit_concurrency=1) as port:
        response, closed = _exchange(port, b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert closed
    status, error, head = _error(response)
    assert status == 503
    assert error["code"] == "server_busy"
    assert b"retry-after: 1" in head


@pytest.mark.parametrize("parser", PARSERS)
def test_requests_within_the_connection_limit_are_served(app: Any, parser: str) -> None:
    # Two open connections under a limit of three: both are answered by the app, one after the other.
    request = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with (
        running(app, protocols.configured(parser, 5.0), limit_concurrency=3) as port,
        socket.create_connection(("127.0.0.1", port), timeout=BOUND) as idle,
    ):
        response, _ = _exchange(port, request)
        second, _ = _send(idle, request)
    for answer in (response, second):
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["status"] == "OK"


def test_without_httptools_serve_picks_h11_and_its_protocol_imports() -> None:
    # uvicorn without its [standard] extra: httptools cannot be imported (a None entry in sys.modules).
    code = (
        "import sys\n"
        "sys.modules['httptools'] = None\n"
        "from stackctl.cli.server_options import server_stack\n"
        "from stackctl.server import protocols\n"
        "loop, http = server_stack()\n"
        "print(http, protocols.configured(http, 1.0).__mro__[1].__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["h11", "TimedH11Protocol"]


def test_headers_past_the_cap_are_refused_and_the_connection_closed(app: Any) -> None:
    # httptools has no cap of its own (one 99 MB header was read whole). h11 has its own, and resets.
    big = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    with running(app, protocols.configured("httptools", 5.0)) as port:
        response, closed = _exchange(port, big)
    assert closed
    status, error, head = _error(response)
    assert (status, error["code"]) == (431, "request_header_fields_too_large"), response[:200]
    assert b"content-type: application/json" in head


def test_headers_within_the_cap_are_served(app: Any) -> None:
    sent = (
        b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
        + b"a" * 30_000
        + b"\r\nConnection: close\r\n\r\n"
    )
    with running(app, protocols.configured("httptools", 5.0)) as port:
        response, _ = _exchange(port, sent)
    assert response.startswith(b"HTTP/1.1 200 "), response[:200]


def test_pipelined_requests_nobody_reads_are_bounded(app: Any) -> None:
    # One write of 100 requests, none of the answers read: past 16 waiting, 503 and closed (the queue
    # grew without bound before).
    burst = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 100
    with running(app, protocols.configured("httptools", 5.0)) as port:
        response, closed = _exchange(port, burst)
    assert closed
    assert b'"code": "server_busy"' in response
    assert response.count(b"HTTP/1.1 ") <= 17


@pytest.mark.parametrize("parser", PARSERS)
def test_a_body_trickled_after_its_early_answer_does_not_hold_the_connection(app: Any, parser: str) -> None:
    # The 404 goes out before the body; each byte of the body after it used to cancel the keep-alive timer.
    head = b"POST /v1/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    with (
        running(app, protocols.configured(parser, STALL)) as port,
        socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock,
    ):
        sock.sendall(head + b"Content-Length: 1000000\r\n\r\n")
        answered = b""
        while b"route_not_found" not in answered:
            chunk = sock.recv(65536)
            assert chunk, answered
            answered += chunk
        closed = False
        for _ in range(int(BOUND / 0.1)):  # a byte every 0.1 s, far less than the body, until closed
            try:
                sock.sendall(b" ")
                time.sleep(0.1)
                closed = sock.recv(1, socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if closed:
                break
    assert answered.startswith(b"HTTP/1.1 404 ")
    assert closed


@pytest.mark.parametrize("parser", PARSERS)
def test_an_early_answer_whose_body_then_arrives_keeps_the_connection(app: Any, parser: str) -> None:
    body = b'{"x": 1}'
    first = b"POST /v1/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
    with (
        running(app, protocols.configured(parser, STALL)) as port,
        socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock,
    ):
        sock.sendall(first + body)
        time.sleep(STALL * 2)  # longer than the linger: the body was all in, nothing lingers
        response, _ = _send(sock, b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert response.count(b"HTTP/1.1 ") == 2 and b'"status":"OK"' in response, response[-300:]
