"""ASGI middleware that runs before any route: the Host allow-list, bearer-token auth and the size limit.

Invariants:
- With an api key configured, every request except `GET /v1/health` must carry `Authorization: Bearer <key>`;
  the comparison is constant-time (`hmac.compare_digest`). Failures are 401 with an OpenAI error object.
- A body larger than the limit is refused with 413 before anything parses it: at once when Content-Length
  says so, otherwise as soon as the streamed body crosses the limit.
- With an allow-list of hosts (`serve` bound to loopback: the loopback names, plus `--allowed-host`), a
  request whose Host header names another host is 421 (a missing Host header, 400), so that a page on another
  site cannot reach a loopback server through DNS rebinding. Ports are ignored.
- A request body must arrive whole within the body timeout (`serve --body-timeout`) of its first read: past
  it, 408 with an OpenAI error object, and the connection is closed. (The header timeout is the HTTP
  protocol's, see `stackctl.server.protocols`.)
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from stackctl.server.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/v1/health"})
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_BODY_TIMEOUT = 30.0


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when a streamed body crosses the limit; rendered by the HTTP error handler."""

    code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


async def _send_error(
    send: Send, status: int, message: str, code: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(error_body(status, message, code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class BearerAuth:
    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"authorization") or b""
        scheme, _, token = given.partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.expected):
            await self.app(scope, receive, send)
            return
        message = "invalid api key" if given else "missing api key: send 'Authorization: Bearer <key>'"
        await _send_error(send, 401, message, "invalid_api_key", [(b"www-authenticate", b"Bearer")])


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _send_error(send, 400, "malformed Content-Length header", "invalid_request", [])
                return
            if int(declared) > self.max_bytes:
                await _send_error(
                    send, 413, f"request body larger than {self.max_bytes} bytes", "request_too_large", []
                )
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited, send)


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: bytes) -> str:
    """The host of a Host header, without its port: `[::1]:8321` -> `::1`, `A.com:80` -> `a.com`."""
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def _allowed(name: str, allowed: frozenset[str]) -> bool:
    if name in allowed:
        return True
    # Every 127.x.y.z is loopback, and so is any name under .localhost (RFC 6761).
    loopback = allowed >= LOOPBACK_HOSTS
    numeric_loopback = name.startswith("127.") and name.replace(".", "").isdigit()
    return loopback and (numeric_loopback or name.endswith(".localhost"))


class HostAllowList:
    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = frozenset(host.lower().strip("[]") for host in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"host")
        if header is None:
            await _send_error(send, 400, "missing Host header", "invalid_request", [])
            return
        name = host_name(header)
        if _allowed(name, self.allowed):
            await self.app(scope, receive, send)
            return
        message = f"host {name!r} is not served here; allow it with serve --allowed-host {name}"
        await _send_error(send, 421, message, "host_not_allowed", [])


class BodyTimeoutError(HTTPException):
    """Raised from `receive` when a request's body has not arrived within the deadline."""

    code = "request_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408, f"request body not received within {seconds:g} s", headers={"Connection": "close"}
        )


class BodyTimeout:
    """The whole request body must arrive within `seconds` of the app's first read of it; past that, the
    read raises `BodyTimeoutError` (408 as an OpenAI error object, connection closed). Reads after the body
    is complete (a streaming response waiting for the client to go away) are not timed."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self.seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise BodyTimeoutError(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed, send)
