"""Building large trees of new objects (a parsed 100k-model file, a 100k-item context) with the cyclic
garbage collector paused.

While a tree grows, every collection of the oldest generation rescans the whole growing heap: a 100k-model
run config parsed about 4x slower with it on, and a 100k-item context spent most of its time there. What is
built under `gc_paused` is plain data (dicts, lists, strings) that makes no cycles, so nothing is left for
the collector to find; it runs again as soon as the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off for the block (and back on after it, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
