"""A spinner on stderr while a command waits for a provider's first token.

Shown only when stderr is a terminal that can draw it (not `TERM=dumb`): never in a pipe, a file or CI logs.
It is not colour, so `NO_COLOR` leaves it on. rich is imported only when one is shown, so no other command
(and no piped run) pays for it. The spinner erases itself when stopped, before anything is printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO


def wanted(stream: IO[str], env: Mapping[str, str]) -> bool:
    """Whether a spinner belongs on `stream`: a terminal, and one that is not dumb."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and env.get("TERM", "") != "dumb"


class Spinner:
    """A spinner that can be paused while something is printed and resumed after it."""

    def __init__(self, label: str) -> None:
        from rich.console import Console

        self._status = Console(file=sys.stderr, highlight=False).status(label, spinner="dots")
        self._running = False

    def start(self) -> None:
        if not self._running:
            self._status.start()
            self._running = True

    def stop(self) -> None:
        """Stop and erase it (the line it was on is left empty, the cursor at its start)."""
        if self._running:
            self._status.stop()
            self._running = False


class _NoSpinner:
    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@contextmanager
def waiting(label: str) -> Iterator[Spinner | _NoSpinner]:
    """Spin on stderr (when `wanted`) until the block ends; `stop()` it before printing, `start()` it again
    to go on waiting."""
    spinner = Spinner(label) if wanted(sys.stderr, os.environ) else _NoSpinner()
    spinner.start()
    try:
        yield spinner
    finally:
        spinner.stop()
