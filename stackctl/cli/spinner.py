"""A spinner on stderr while a command waits for a provider's first token.

Shown only when stderr is a terminal that can draw it (not `TERM=dumb`): never in a pipe, a file or CI logs.
It is not colour, so `NO_COLOR` leaves it on. rich is imported only when one is shown, so no other command
(and no piped run) pays for it. The spinner erases itself when stopped, before anything is printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO


def wanted(stream: IO[str], env: Mapping[str, str]) -> bool:
    """Whether a spinner belongs on `stream`: a terminal, and one that is not dumb."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and env.get("TERM", "") != "dumb"


@contextmanager
def waiting(label: str) -> Iterator[Callable[[], None]]:
    """Spin on stderr (when `wanted`) until the returned `stop()` is called or the block ends."""
    if not wanted(sys.stderr, os.environ):
        yield lambda: None
        return
    from rich.console import Console

    status = Console(file=sys.stderr, highlight=False).status(label, spinner="dots")
    status.start()
    try:
        yield status.stop
    finally:
        status.stop()
