"""The benchmark suite: `python -m bench [--full] [--only SUITE ...]`.

Runs every benchmark (start-up, render, store, conversations, serve, serve-ceiling, scale) and prints ONE
table of their figures. The start-up suite measures the machine's baseline in the same run (`python -c
pass`, `python -c 'import typer'`) and gives each command's time as a ratio to `import typer`, with the
targets of issue #8. The default, quick mode keeps the whole run to a couple of minutes on a 2-core machine;
`--full` uses the sizes of the modules' own defaults (`python bench/<suite>.py`).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

from bench import conversations, render, scale, serve, serve_ceiling, startup, store
from bench.figure import Figure, format_table

SUITES: dict[str, Callable[[bool], list[Figure]]] = {
    "start-up": startup.run,
    "render": render.run,
    "store": store.run,
    "conversations": conversations.run,
    "serve": serve.run,
    "serve-ceiling": serve_ceiling.run,
    "scale": scale.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the larger, slower sizes")
    parser.add_argument("--only", nargs="+", choices=list(SUITES), help="run only these suites")
    args = parser.parse_args()

    began = time.perf_counter()
    figures: list[Figure] = []
    for name, run in SUITES.items():
        if args.only and name not in args.only:
            continue
        sys.stderr.write(f"running {name} ...\n")
        figures.extend(run(not args.full))
    elapsed = time.perf_counter() - began

    mode = "full" if args.full else "quick"
    sys.stdout.write(
        f"stackctl benchmarks ({mode}), Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count() or 1} CPUs, {elapsed:.0f} s\n\n"
    )
    sys.stdout.write(format_table(figures))
    missed = [f.label for f in figures if f.met is False]
    if missed:
        sys.stdout.write(f"\ntargets missed: {len(missed)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
