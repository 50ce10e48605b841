"""When a provider call is tried again: the policy (tries, backoff, which statuses), a failed try that may
succeed if tried again, and the wait a provider asks for (`Retry-After`, `retry-after-ms`)."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

from stackctl.errors import UpstreamError
from stackctl.inference.lean_httpx import httpx
from stackctl.inference.limits import DEFAULT_RETRIES

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_RETRIES + 1  # tries in all (`--retries N` is N + 1)
    backoff: float = 0.5  # seconds before the second try; doubles each time
    max_backoff: float = 8.0
    max_retry_after: float = 30.0  # a provider asking for longer is waited on only this long
    # False where the caller passes a 429 on to a client that retries it itself (`stackctl serve`):
    # retrying here too would multiply the client's tries.
    retry_rate_limits: bool = True

    def should_retry(self, status: int) -> bool:
        if status == 429:
            return self.retry_rate_limits
        return status in RETRY_STATUSES or status >= 500


class Retryable(Exception):
    """A failed try that may succeed if tried again."""

    def __init__(self, error: UpstreamError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date); None if absent or odd."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
