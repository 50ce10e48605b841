"""Start-up benchmark, run by hand: `python bench/startup.py [--runs 15]`.

Times the INSTALLED console script (next to `sys.executable`), each run a fresh process with an isolated
`STACKCTL_DB` in a temporary directory, and reports the median of `--runs` runs. The machine's baseline is
measured in the same run, `python -c pass` and `python -c 'import typer'`, and every command's figure is
also given as a ratio to `import typer`, with the targets of issue #8 for the hot commands.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/startup.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table
from stackctl.conversations import service as core
from stackctl.store.open import open_database

SUITE = "start-up"
ITEMS = 1_000
BATCH = 20


def medians_ms(commands: list[list[str]], env: dict[str, str], runs: int) -> list[float]:
    """Median wall time of `runs` fresh processes for each argv; each must succeed.

    The commands take turns, round after round (after one warm-up round), so that a slow spell of a busy
    machine lands on all of them alike and the ratios between them hold.
    """
    samples: list[list[float]] = [[] for _ in commands]
    for round_ in range(runs + 1):
        for argv, kept in zip(commands, samples, strict=True):
            began = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            if round_:
                kept.append(time.perf_counter() - began)
    return [statistics.median(kept) * 1000 for kept in samples]


def _conversation(script: str, env: dict[str, str], items: int) -> str:
    """A conversation of `items` messages, added through the store in batches of 20 as the CLI does."""
    with open_database(env["STACKCTL_DB"]) as db:
        conversation_id = core.create_conversation(db).id
        for start in range(0, items, BATCH):
            batch = [
                {"type": "message", "role": "user", "content": f"message number {start + n}"}
                for n in range(BATCH)
            ]
            core.add_items(db, conversation_id, batch)
    listed = subprocess.run(
        [script, "conv", "items", "list", conversation_id, "-o", "json"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert len(json.loads(listed.stdout)["data"]) == BATCH
    return conversation_id


def measure(runs: int) -> list[Figure]:
    python = sys.executable
    script = str(Path(python).parent / "stackctl")
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
        env["STACKCTL_DB"] = str(Path(tmp) / "startup.db")
        conversation_id = _conversation(script, env, ITEMS)
        commands: list[tuple[str, list[str], float | None]] = [
            ("python -c pass", [python, "-c", "pass"], None),
            ("python -c 'import typer' (baseline)", [python, "-c", "import typer"], None),
            ("stackctl --version", [script, "--version"], 1.3),
            ("stackctl --help", [script, "--help"], None),
            ("stackctl conv get ID -o json", [script, "conv", "get", conversation_id, "-o", "json"], None),
            (
                f"stackctl conv items list ID -o json ({ITEMS:,} items)",
                [script, "conv", "items", "list", conversation_id, "-o", "json"],
                2.0,
            ),
            (
                "stackctl config render --distro starter",
                [script, "config", "render", "--distro", "starter"],
                2.5,
            ),
        ]
        times = medians_ms([argv for _, argv, _ in commands], env, runs)
        baseline = times[1]
        figures = [
            Figure(SUITE, f"{label}, median of {runs}", ms, "ms", ms / baseline, target)
            for (label, _, target), ms in zip(commands, times, strict=True)
        ]
    return figures


def run(quick: bool) -> list[Figure]:
    return measure(runs=21 if quick else 51)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=15, help="fresh processes per command (the median is kept)"
    )
    args = parser.parse_args()
    sys.stdout.write(format_table(measure(args.runs)))


if __name__ == "__main__":
    main()
