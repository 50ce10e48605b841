"""Conversation store benchmark, run by hand: `python bench/conversations.py [--big 100000]`.

Prints items added per second (batches of 20, one transaction each, as `conv items create` does) and the
time to read one page of items from a conversation of 100 items and from one of `--big` items. The two page
times should be about equal: a page is an index range scan on (conversation_id, seq), whatever the size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from stackctl.conversations import service as core
from stackctl.store.database import Database
from stackctl.store.open import open_database

if not __package__:  # run as `python bench/conversations.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table

SUITE = "conversations"
BATCH = 20


def _batch(start: int) -> list[dict[str, object]]:
    return [
        {"type": "message", "role": "user", "content": f"message number {start + n}"} for n in range(BATCH)
    ]


def fill(db: Database, conversation_id: str, count: int) -> float:
    """Add `count` items in batches of 20; return items per second."""
    began = time.perf_counter()
    for start in range(0, count, BATCH):
        core.add_items(db, conversation_id, _batch(start))
    return count / (time.perf_counter() - began)


def page_time(db: Database, conversation_id: str, limit: int, rounds: int = 200) -> dict[str, float]:
    """Median milliseconds to read the first page and a page from the middle, in both orders."""
    middle = core.list_items(db, conversation_id, limit=50, order="asc").data[-1].id
    timings: dict[str, float] = {}
    for label, after, order in (("newest", None, "desc"), ("oldest", None, "asc"), ("after", middle, "asc")):
        samples = []
        for _ in range(rounds):
            began = time.perf_counter()
            core.list_items(db, conversation_id, limit=limit, after=after, order=order)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - began)
        samples.sort()
        timings[label] = samples[len(samples) // 2] * 1000
    return timings


def measure(big: int, limit: int, path: str | None = None) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, open_database(path or str(Path(tmp) / "bench.db")) as db:
        small = core.create_conversation(db).id
        large = core.create_conversation(db).id
        fill(db, small, 100)
        rate = fill(db, large, big)
        figures = [Figure(SUITE, f"add items (batches of {BATCH}, {big:,} items)", rate, "items/s")]
        for size, conv in ((100, small), (big, large)):
            for label, ms in page_time(db, conv, limit).items():
                figures.append(Figure(SUITE, f"list a page of {limit}, {label}, at {size:,} items", ms, "ms"))
    return figures


def run(quick: bool) -> list[Figure]:
    return measure(big=100_000 if quick else 1_000_000, limit=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000, help="items in the big conversation")
    parser.add_argument("--limit", type=int, default=20, help="page size to time")
    parser.add_argument("--db", help="database file (default: a temporary one)")
    args = parser.parse_args()
    sys.stdout.write(format_table(measure(args.big, args.limit, args.db)))


if __name__ == "__main__":
    main()
