"""Provider calls in `serve`: threads of their own, a bounded number in flight, back-pressure when full.

A response waits on its provider for seconds or minutes. Run on the thread pool that FastAPI's sync routes
and dependencies share, 40 slow calls were enough to leave `/v1/health` and every conversation route waiting.

Invariants:
- A provider call (a response, plain or streamed, from its planning to its commit) runs its blocking steps
  on threads of its own: an anyio capacity limiter apart from the shared one, so however many calls wait on
  slow providers, the other routes are served.
- At most `limit` calls are in flight. One more is refused at once with 503, `Retry-After` and the code
  `server_busy` (the OpenAI SDK retries it), never queued behind the others; since each call runs one step at
  a time, the limiter of `limit` threads never makes a call wait.
- A call holds its slot until it ends however it ends (a stream: until its last event or its client leaves).
- One HTTP client per provider origin for the life of the app (`HttpClients`), closed at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread
from starlette.responses import JSONResponse

from stackctl.inference.limits import Timeouts
from stackctl.inference.transport import HttpClients
from stackctl.responses.service import provider_clients
from stackctl.responses.turn import ClientFactory
from stackctl.server import errors

T = TypeVar("T")

DEFAULT_LIMIT = 64
RETRY_AFTER_SECONDS = 1


class ProviderCalls:
    """The server's provider calls: their slots, their threads and their HTTP clients."""

    def __init__(
        self, limit: int = DEFAULT_LIMIT, timeouts: Timeouts | None = None, retries: int | None = None
    ) -> None:
        if limit < 1:
            raise ValueError("at least one provider call must be allowed")
        self.limit = limit
        self.in_flight = 0
        self.http_clients = HttpClients()
        # A provider's 429 is passed on (with its Retry-After), not retried here as well.
        self.factory: ClientFactory = provider_clients(
            self.http_clients, timeouts, retries=retries, pass_rate_limits_on=True
        )
        self._limiter: anyio.CapacityLimiter | None = None

    def admit(self) -> bool:
        """Take a slot if one is free. Called on the event loop only, so the count needs no lock."""
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1

    async def run(self, func: Callable[..., T], *args: object) -> T:
        """`func(*args)` on one of the provider calls' own threads."""
        if self._limiter is None:  # made on first use, on the loop that serves the app
            self._limiter = anyio.CapacityLimiter(self.limit)
        return await anyio.to_thread.run_sync(partial(func, *args), limiter=self._limiter)

    def close(self) -> None:
        self.http_clients.close()


def busy(limit: int) -> JSONResponse:
    """The answer when every slot is taken: 503, `Retry-After`, code `server_busy` (the SDK retries it)."""
    return errors.error_response(
        503,
        f"the server is busy: {limit} provider calls are in flight; retry shortly",
        "server_busy",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
