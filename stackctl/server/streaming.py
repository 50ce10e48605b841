"""Server-sent events for streamed responses: the core's blocking event generator, sent without blocking.

Invariants:
- Every event leaves as `event: <type>` and `data: <json>` followed by a blank line, which is what the
  OpenAI SDK parses; there is no `[DONE]` line (the Responses API ends the stream by closing it).
- Each step of the core generator runs on a thread of the provider calls (`run`, see
  `stackctl.server.provider_calls`), one step at a time, so the database handle it holds is never used by
  two threads at once; the handle belongs to the stream and is closed with it, then `on_end` is called
  (which frees the stream's slot), however the stream ends. (On PostgreSQL the handle holds a pool
  connection only while a statement or the commit runs.)
- If the client goes away, the generator is closed where it stopped: a turn not yet committed is never
  written (the core's rule for a consumer that stops reading).
- A failure after the first byte cannot change the status any more: the core has already sent
  `response.failed`, so the stream just ends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio

from stackctl.errors import StackctlError
from stackctl.store.database import Database

log = logging.getLogger("stackctl.server")

_END = object()


def sse(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


def _step(events: Iterator[dict[str, Any]]) -> object:
    try:
        return next(events, _END)
    except StackctlError as exc:
        # `response.failed` was the last event sent; the error itself has no other way to the client.
        log.warning("stream ended with %s: %s", exc.code, exc.message)
        return _END


def _close(events: Iterator[dict[str, Any]], db: Database) -> None:
    try:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    finally:
        db.close()


Run = Callable[..., Awaitable[Any]]


async def event_stream(
    events: Iterator[dict[str, Any]], db: Database, run: Run, on_end: Callable[[], None]
) -> AsyncIterator[bytes]:
    """The bytes of `events` as server-sent events; `db` is closed when the stream ends, however it ends."""
    try:
        while True:
            # Not cancellable mid-step (anyio's default): a disconnect waits for the step, then cancels.
            event = await run(_step, events)
            if event is _END:
                return
            assert isinstance(event, dict)
            yield sse(event)
    finally:
        try:
            with anyio.CancelScope(shield=True):
                await run(_close, events, db)
        finally:
            on_end()
