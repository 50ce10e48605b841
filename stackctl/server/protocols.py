"""uvicorn's HTTP protocols with a request-header read timeout, and their own errors as OpenAI error objects.

uvicorn bounds an idle keep-alive connection but not one that opened and sends its request headers slowly
or never: a thousand such connections hold a server's sockets. `serve` passes uvicorn (`http=`) one of these
subclasses of the parser it prints (httptools, else h11):

- A connection whose request headers are not complete `header_timeout` seconds after it opened (or after the
  first byte of its next request) gets a 408 OpenAI error object and is closed.
- A malformed request (uvicorn's plain-text 400) is answered with an OpenAI error object, then closed.
- With httptools, the 503 uvicorn answers past `--max-connections` is an OpenAI error object too, with
  `Retry-After`; h11 answers that one in plain text.

`header_timeout` is a class attribute: `configured` makes a subclass with it set; the module's classes read
STACKCTL_HEADER_TIMEOUT at import (how `serve --workers N` hands it to each worker process).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from stackctl.server.errors import error_body

DEFAULT_HEADER_TIMEOUT = 10.0
_PHRASES = {400: "Bad Request", 408: "Request Timeout"}


def _env_timeout() -> float:
    value = os.environ.get("STACKCTL_HEADER_TIMEOUT")
    return float(value) if value else DEFAULT_HEADER_TIMEOUT


def _raw_response(status: int, message: str, code: str) -> bytes:
    body = json.dumps(error_body(status, message, code)).encode()
    head = f"HTTP/1.1 {status} {_PHRASES[status]}\r\ncontent-type: application/json\r\n"
    return (head + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


async def _openai_service_unavailable(scope: Any, receive: Any, send: Any) -> None:
    message = "the server is at its connection limit (--max-connections); retry shortly"
    body = json.dumps(error_body(503, message, "server_busy")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _HeaderTimeout:
    """The header read timer, shared by both parsers: armed while a request's headers are awaited."""

    header_timeout: float = _env_timeout()
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        if self._header_timer is None and self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._between_responses():  # nothing of ours is being sent on it: say why it is closed
            message = f"request headers not received within {self.header_timeout:g} s"
            self.transport.write(_raw_response(408, message, "request_timeout"))
        self.transport.close()

    def _between_responses(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is None or bool(cycle.response_complete)


class TimedHttpToolsProtocol(_HeaderTimeout, HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if app is service_unavailable:
            app = _openai_service_unavailable
        super()._start_asgi_task(cycle, app)

    def send_400_response(self, msg: str) -> None:
        self._disarm_header_timer()
        self.transport.write(_raw_response(400, f"malformed HTTP request: {msg}", "invalid_request"))
        self.transport.close()


class TimedH11Protocol(_HeaderTimeout, H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        import h11

        if self.conn.their_state is h11.IDLE:  # the next request's headers are awaited
            self._arm_header_timer()
        super().data_received(data)

    def handle_events(self) -> None:
        import h11

        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # a request's headers arrived (or the connection ended)
            self._disarm_header_timer()
        elif self.conn.trailing_data[0]:  # part of a pipelined request is waiting: its headers are timed
            self._arm_header_timer()

    def send_400_response(self, msg: str) -> None:
        self._disarm_header_timer()
        self.transport.write(_raw_response(400, f"malformed HTTP request: {msg}", "invalid_request"))
        self.transport.close()


PROTOCOLS: dict[str, type[Any]] = {"httptools": TimedHttpToolsProtocol, "h11": TimedH11Protocol}


def configured(parser: str, header_timeout: float) -> type[Any]:
    """The protocol class for the parser ("httptools" or "h11") with this header read timeout."""
    base = PROTOCOLS[parser]
    return type(base.__name__, (base,), {"header_timeout": header_timeout})


def import_path(parser: str) -> str:
    """The protocol class for the parser as an import string (for uvicorn's worker processes)."""
    return f"{__name__}:{PROTOCOLS[parser].__name__}"
