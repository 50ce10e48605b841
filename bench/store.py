"""Registry benchmark, run by hand: `python bench/store.py [--models 10000]`.

Registers one run config that declares `--models` models (through the console script, as a user would),
registers it again (the no-op path), then lists the models through `store.resources` and through
`stackctl models list -o json`, printing the time of each step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stackctl.store import registry as store
from stackctl.store.open import open_database

if not __package__:  # run as `python bench/store.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table

SUITE = "store"
HEADER = """\
version: 2
image_name: bench
apis: [inference]
providers:
  inference:
  - provider_id: fireworks
    provider_type: remote::fireworks
    config:
      url: https://api.fireworks.ai/inference/v1
      api_key: ${env.FIREWORKS_API_KEY}
models:
"""


def run_config(count: int) -> str:
    lines = [
        f"- model_id: model-{n:06d}\n  provider_id: fireworks\n  provider_model_id: acct/model-{n:06d}\n"
        for n in range(count)
    ]
    return HEADER + "".join(lines)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - began, done.stdout


def measure(models: int) -> list[Figure]:
    script = str(Path(sys.executable).parent / "stackctl")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "run.yaml"
        config.write_text(run_config(models))
        env = {**os.environ, "STACKCTL_DB": str(Path(tmp) / "bench.db"), "FIREWORKS_API_KEY": "k"}
        register = [script, "register", str(config), "-o", "json"]
        created, _ = timed(register, env)
        unchanged, _ = timed(register, env)
        with open_database(env["STACKCTL_DB"]) as db:
            began = time.perf_counter()
            rows = store.resources(db, "bench", "model")
            read = time.perf_counter() - began
        listed, out = timed([script, "models", "list", "-o", "json"], env)
    assert len(rows) == len(json.loads(out)["data"]) == models
    return [
        Figure(SUITE, f"register {models:,} models (all created)", created, "s"),
        Figure(SUITE, "register again (all unchanged)", unchanged, "s"),
        Figure(SUITE, f"store.resources ({len(rows):,} rows)", read, "s"),
        Figure(SUITE, "stackctl models list -o json", listed, "s"),
    ]


def run(quick: bool) -> list[Figure]:
    return measure(10_000 if quick else 50_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=10_000)
    args = parser.parse_args()
    sys.stdout.write(format_table(measure(args.models)))


if __name__ == "__main__":
    main()
