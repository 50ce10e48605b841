"""uvicorn's httptools protocol with the header read timeout and OpenAI-shaped errors of
`stackctl.server.protocols`, in a module of its own: importing it needs httptools (uvicorn's `[standard]`
extra), which the h11 class does not.

Two bounds uvicorn leaves to the parser, which has none (h11 has its own): a request's line and headers
together past `MAX_HEADER_BYTES` are answered 431 and the connection closed (one 99 MB header took 130 MB);
a client that pipelines more than `MAX_PIPELINE` requests without reading the answers is answered 503 and
closed (the queue grew without bound: 400 MB from one connection)."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from stackctl.server.protocols import Hardening, openai_service_unavailable, raw_response

MAX_HEADER_BYTES = 64 * 1024
MAX_PIPELINE = 16


class _Refused(Exception):
    """Raised from a parser callback to stop parsing: httptools turns it into `HttpParserCallbackError`."""


class TimedHttpToolsProtocol(Hardening, HttpToolsProtocol):
    _header_bytes = 0
    _refusal: bytes | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._end_linger()  # the body of the request answered before is all in
        self._arm_header_timer()

    def _body_incoming(self) -> bool:
        return self.cycle is not None and bool(self.cycle.more_body)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            message = f"request line and headers larger than {MAX_HEADER_BYTES:,} bytes"
            self._refuse(raw_response(431, message, "request_header_fields_too_large"))

    def _refuse(self, answer: bytes) -> None:
        self._refusal = answer
        raise _Refused

    def data_received(self, data: bytes) -> None:
        try:
            super().data_received(data)
        finally:
            self._refusal = None

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        self._disarm_header_timer()
        self.transport.write(self._refusal)
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()
        if len(self.pipeline) > MAX_PIPELINE:
            message = f"more than {MAX_PIPELINE} pipelined requests waiting: read the answers"
            self._refuse(raw_response(503, message, "server_busy"))

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if app is service_unavailable:
            app = openai_service_unavailable
        super()._start_asgi_task(cycle, app)
