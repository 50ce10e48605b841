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
from stackctl.store.db import open_database

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
    lines = [f"- model_id: model-{n:06d}\n  provider_id: fireworks\n  provider_model_id: acct/model-{n:06d}\n" for n in range(count)]
    return HEADER + "".join(lines)


def timed(label: str, argv: list[str], env: dict[str, str]) -> str:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    print(f"{label:<36} {time.perf_counter() - began:8.2f} s")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=10_000)
    args = parser.parse_args()
    script = str(Path(sys.executable).parent / "stackctl")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "run.yaml"
        config.write_text(run_config(args.models))
        env = {**os.environ, "STACKCTL_DB": str(Path(tmp) / "bench.db"), "FIREWORKS_API_KEY": "k"}
        print(f"{args.models} models")
        timed("register (all created)", [script, "register", str(config), "-o", "json"], env)
        timed("register again (all unchanged)", [script, "register", str(config), "-o", "json"], env)
        with open_database(env["STACKCTL_DB"]) as db:
            began = time.perf_counter()
            rows = store.resources(db, "bench", "model")
            print(f"{'store.resources':<36} {time.perf_counter() - began:8.2f} s  ({len(rows)} rows)")
        out = timed("stackctl models list -o json", [script, "models", "list", "-o", "json"], env)
        print(f"{'listed':<36} {len(json.loads(out)['data']):8d}")


if __name__ == "__main__":
    main()
