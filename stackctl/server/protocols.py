"""uvicorn's HTTP protocols with a request-header read timeout, and their own errors as OpenAI error objects.

uvicorn bounds an idle keep-alive connection but not one that opened and sends its request headers slowly
or never: a thousand such connections hold a server's sockets. `serve` passes uvicorn (`http=`) one of these
subclasses of the parser it prints (httptools, else h11):

- A connection whose request headers are not complete `header_timeout` seconds after it opened (or after the
  first byte of its next request) gets a 408 OpenAI error object and is closed.
- A malformed request (uvicorn's plain-text 400) is answered with an OpenAI error object, then closed.
- The 503 past `--max-connections` is an OpenAI error object too, with `Retry-After`. httptools hands the
  protocol the app to start (`_start_asgi_task`); h11 picks uvicorn's plain-text answer inside its event
  loop with no such hook, so the h11 class takes the limit from uvicorn and applies it itself, with the same
  test (open connections, or requests in flight, at the limit).

`header_timeout` is a class attribute: `configured` makes a subclass with it set; the module's classes read
STACKCTL_HEADER_TIMEOUT at import (how `serve --workers N` hands it to each worker process). The httptools
class lives in `stackctl.server.httptools_protocol`, imported only when that parser is asked for: uvicorn
without its `[standard]` extra has no httptools, and serves with h11.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from stackctl.server.errors import error_body

DEFAULT_HEADER_TIMEOUT = 10.0
_PHRASES = {
    400: "Bad Request",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
_OVER_LIMIT = "stackctl.over_limit"  # the scope key of an h11 request past the connection limit


def _env_timeout() -> float:
    value = os.environ.get("STACKCTL_HEADER_TIMEOUT")
    return float(value) if value else DEFAULT_HEADER_TIMEOUT


def raw_response(status: int, message: str, code: str) -> bytes:
    body = json.dumps(error_body(status, message, code)).encode()
    head = f"HTTP/1.1 {status} {_PHRASES[status]}\r\ncontent-type: application/json\r\n"
    return (head + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


async def openai_service_unavailable(scope: Any, receive: Any, send: Any) -> None:
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


class Hardening:
    """What both parsers' classes share: the header read timer, armed while a request's headers are
    awaited, and the malformed-request 400 as an OpenAI error object."""

    header_timeout: float = _env_timeout()
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        self._end_linger()
        super().connection_lost(exc)  # type: ignore[misc]

    # An answer sent before its request's body arrived (a 401, a 404, a 413): what is left of the body is
    # read and dropped, and every byte of it would cancel uvicorn's keep-alive timer, so a client trickling
    # it could hold the connection forever. The connection gets `header_timeout` seconds to finish the body
    # (until its next request begins), then is closed.
    _linger_timer: asyncio.TimerHandle | None = None

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self.header_timeout > 0 and not self.transport.is_closing() and self._body_incoming():
            self._end_linger()
            self._linger_timer = self.loop.call_later(self.header_timeout, self._linger_over)

    def _linger_over(self) -> None:
        self._linger_timer = None
        self.transport.close()

    def _end_linger(self) -> None:
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None

    def _body_incoming(self) -> bool:
        raise NotImplementedError

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
            self.transport.write(raw_response(408, message, "request_timeout"))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._disarm_header_timer()
        self.transport.write(raw_response(400, f"malformed HTTP request: {msg}", "invalid_request"))
        self.transport.close()

    def _between_responses(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is None or bool(cycle.response_complete)


class TimedH11Protocol(Hardening, H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Taken from uvicorn, whose answer past it is plain text: `handle_events` makes uvicorn's test at the
        # moment uvicorn makes it (as a request is parsed) and marks the request; `_within_limit` answers it.
        self.connection_limit, self.limit_concurrency = self.limit_concurrency, None
        if self.connection_limit is not None:
            self.app = self._within_limit(self.app)

    def _within_limit(self, app: Any) -> Any:
        async def limited(scope: Any, receive: Any, send: Any) -> None:
            if scope.pop(_OVER_LIMIT, False):
                self.logger.warning("Exceeded concurrency limit.")
                await openai_service_unavailable(scope, receive, send)
            else:
                await app(scope, receive, send)

        return limited

    def _body_incoming(self) -> bool:
        import h11

        return self.conn.their_state is h11.SEND_BODY

    def data_received(self, data: bytes) -> None:
        import h11

        if self.conn.their_state is h11.IDLE:  # the next request's headers are awaited
            self._arm_header_timer()
        super().data_received(data)

    def handle_events(self) -> None:
        import h11

        limit, cycle = self.connection_limit, self.cycle
        over = limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)
        super().handle_events()
        if over and self.cycle is not cycle:  # a request was parsed (one at most per call): past the limit
            self.scope[_OVER_LIMIT] = True  # type: ignore[literal-required]
        if self.conn.their_state is not h11.SEND_BODY:  # the body of an answered request is all in
            self._end_linger()
        if self.conn.their_state is not h11.IDLE:  # a request's headers arrived (or the connection ended)
            self._disarm_header_timer()
        elif self.conn.trailing_data[0]:  # part of a pipelined request is waiting: its headers are timed
            self._arm_header_timer()


PROTOCOLS = {
    "httptools": "stackctl.server.httptools_protocol:TimedHttpToolsProtocol",
    "h11": f"{__name__}:TimedH11Protocol",
}


def protocol(parser: str) -> type[Any]:
    """The protocol class for the parser ("httptools" or "h11"); httptools is imported only here."""
    from importlib import import_module

    module, name = PROTOCOLS[parser].split(":")
    found: type[Any] = getattr(import_module(module), name)
    return found


def configured(parser: str, header_timeout: float) -> type[Any]:
    """The protocol class for the parser with this header read timeout."""
    base = protocol(parser)
    return type(base.__name__, (base,), {"header_timeout": header_timeout})


def import_path(parser: str) -> str:
    """The protocol class for the parser as an import string (for uvicorn's worker processes)."""
    return PROTOCOLS[parser]
