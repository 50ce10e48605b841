"""Costs at 100k, run by hand: `python bench/scale.py [--items 100000] [--models 10000 100000]`.

Prints: the time (median of 3) and peak memory (tracemalloc, a separate run) of building a response's
context from a conversation of `--items` items (`plan_turn`: everything before the provider call); the
time of `register` for each `--models` count (through the console script) and its growth against linear;
and the median time of one model lookup (`find_model`, by identifier and by provider model id).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from stackctl.conversations import service as conv
from stackctl.models.conversations import ItemAdapter
from stackctl.registry.routing import find_model
from stackctl.responses.turn import plan_turn
from stackctl.store import conversations as conversation_rows
from stackctl.store.database import Database
from stackctl.store.open import open_database

if not __package__:  # run as `python bench/scale.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table
from bench.store import run_config

SUITE = "scale"
ENV = {"FIREWORKS_API_KEY": "k"}


def register(models: int, db_path: Path) -> float:
    config = db_path.with_suffix(f".{models}.yaml")
    config.write_text(run_config(models))
    env = {**os.environ, **ENV, "STACKCTL_DB": str(db_path)}
    script = str(Path(sys.executable).parent / "stackctl")
    began = time.perf_counter()
    subprocess.run([script, "register", str(config), "-o", "json"], env=env, capture_output=True, check=True)
    return time.perf_counter() - began


def fill(db: Database, items: int) -> str:
    """A conversation of `items` alternating user/assistant messages, written in one transaction."""
    conversation = conv.create_conversation(db)
    batch = [
        ItemAdapter.validate_python(
            {
                "type": "message",
                "id": f"msg_{n:048x}",
                "role": "user" if n % 2 == 0 else "assistant",
                "content": [
                    {"type": "input_text" if n % 2 == 0 else "output_text", "text": f"message {n} " * 8}
                ],
            }
        )
        for n in range(items)
    ]
    with db.transaction():
        conversation_rows.insert_items(db, conversation.id, batch, 1_700_000_000)
    return conversation.id


def context(db: Database, conversation_id: str, model: str) -> tuple[float, float]:
    """Seconds and peak MiB of planning a turn on the conversation (the context it builds included)."""
    request = {"model": model, "input": "and now?", "conversation": conversation_id}
    samples = []
    for _ in range(3):
        began = time.perf_counter()
        plan = plan_turn(db, request, ENV, lambda: 1_700_000_000)
        samples.append(time.perf_counter() - began)
        del plan
    seconds = sorted(samples)[1]
    tracemalloc.start()
    plan_turn(db, request, ENV, lambda: 1_700_000_000)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def lookup(db: Database, names: list[str], rounds: int = 200) -> float:
    samples = []
    for index in range(rounds):
        began = time.perf_counter()
        find_model(db, names[index % len(names)])
        samples.append(time.perf_counter() - began)
    samples.sort()
    return samples[len(samples) // 2] * 1000


def measure(items: int, model_counts: list[int]) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        times = {}
        for models in model_counts:
            times[models] = register(models, Path(tmp) / f"scale-{models}.db")
            figures.append(Figure(SUITE, f"register {models:,} models (all created)", times[models], "s"))
        smallest, largest = min(model_counts), max(model_counts)
        if largest > smallest:
            growth = (times[largest] / times[smallest]) / (largest / smallest)
            label = f"register growth {smallest:,} -> {largest:,} models, x linear (<= 1.2 is linear)"
            figures.append(Figure(SUITE, label, growth, "x"))
        with open_database(str(Path(tmp) / f"scale-{largest}.db")) as db:
            last = largest - 1
            by_id = lookup(db, [f"model-{n:06d}" for n in range(0, largest, max(1, largest // 50))])
            by_provider_id = lookup(
                db, [f"acct/model-{n:06d}" for n in range(last, 0, -max(1, largest // 50))]
            )
            figures.append(Figure(SUITE, f"model lookup by identifier, {largest:,} models", by_id, "ms"))
            figures.append(
                Figure(SUITE, f"model lookup by provider model id, {largest:,} models", by_provider_id, "ms")
            )
            conversation_id = fill(db, items)
            seconds, peak = context(db, conversation_id, "model-000000")
            figures.append(Figure(SUITE, f"response context of {items:,} items (plan_turn)", seconds, "s"))
            figures.append(Figure(SUITE, f"response context of {items:,} items, peak memory", peak, "MiB"))
    return figures


def run(quick: bool) -> list[Figure]:
    return measure(100_000, [2_000, 20_000] if quick else [10_000, 100_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the conversation")
    parser.add_argument("--models", type=int, nargs="+", default=[10_000, 100_000], help="models to register")
    args = parser.parse_args()
    sys.stdout.write(format_table(measure(args.items, args.models)))


if __name__ == "__main__":
    main()
