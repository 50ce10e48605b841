"""How long a provider call may take and how much of an answer is read: deadlines and the answer cap.

Pure (no HTTP): `Timeouts` holds the seconds, `Deadline` measures a call against them on a monotonic clock,
`limits_from_env` reads `STACKCTL_TIMEOUT` and `STACKCTL_MAX_ANSWER_BYTES` (a value that is not a positive
number is exit 3, naming the variable), `retries_from_env` reads `STACKCTL_RETRIES` (a whole number >= 0, else
exit 3). `stackctl.inference.client` applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stackctl.errors import InvalidInputError

DEFAULT_TOTAL = 120.0
DEFAULT_IDLE = 60.0
DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024
TIMEOUT_VAR = "STACKCTL_TIMEOUT"
MAX_ANSWER_VAR = "STACKCTL_MAX_ANSWER_BYTES"
RETRIES_VAR = "STACKCTL_RETRIES"
DEFAULT_RETRIES = 2  # three tries in all
TIMEOUT_HINT = f"give the provider more time with --timeout SECONDS or {TIMEOUT_VAR}"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: for a connection, between bytes of an answer, for a whole non-streamed call
    (retries included), and for each chunk of a stream (the first one retries included)."""

    connect: float = 10.0
    read: float = 120.0
    total: float = DEFAULT_TOTAL
    idle: float = DEFAULT_IDLE

    @classmethod
    def deadline(cls, seconds: float) -> Timeouts:
        """`--timeout SECONDS`: the deadline of a whole call, and of a stream's wait for each chunk."""
        return cls(read=seconds, total=seconds, idle=seconds)


def _positive(env: Mapping[str, str], name: str, kind: Callable[[str], float]) -> float | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise InvalidInputError(f"{name} must be a positive number, not {text!r}", code="invalid_env")
    return value


def limits_from_env(env: Mapping[str, str]) -> tuple[Timeouts, int]:
    """The deadlines and the answer cap the environment sets (`STACKCTL_TIMEOUT`,
    `STACKCTL_MAX_ANSWER_BYTES`), else the defaults; a value that is not a positive number is exit 3."""
    seconds = _positive(env, TIMEOUT_VAR, float)
    cap = _positive(env, MAX_ANSWER_VAR, int)
    timeouts = Timeouts() if seconds is None else Timeouts.deadline(seconds)
    return timeouts, DEFAULT_MAX_ANSWER_BYTES if cap is None else int(cap)


def retries_from_env(env: Mapping[str, str]) -> int:
    """How many times a failed try is tried again (`STACKCTL_RETRIES`, 0 = one try), else the default; a value
    that is not a whole number >= 0 is exit 3."""
    text = env.get(RETRIES_VAR, "").strip()
    if not text:
        return DEFAULT_RETRIES
    if not (text.isascii() and text.isdigit()):
        raise InvalidInputError(
            f"{RETRIES_VAR} must be a whole number >= 0, not {text!r}", code="invalid_env"
        )
    return int(text)


class Deadline:
    """When a call must be over, measured on a monotonic clock from its start."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def elapsed(self) -> float:
        return self._clock() - self._start

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def passed(self) -> bool:
        # A timer set to the time left fires at (or a hair after) the deadline, never long before it.
        return self.remaining() <= 0.005
