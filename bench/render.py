"""Benchmark of the config-load pipeline: a run config with 200 providers x 20 substituted fields.

Renders it through `render_config` several times and splits the time between YAML parsing, substitution
and validation. Run by hand: `python bench/render.py [--providers N] [--fields N] [--repeat N]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stackctl.config import envsubst, exact, layout, pipeline, substitute, validate, yamlio

if not __package__:  # run as `python bench/render.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table

SUITE = "render"

_FIELD_FORMS = (
    "${{env.VAR_{n}}}",
    "${{env.VAR_{n}:=default-{n}}}",
    "${{env.UNSET_{n}:=${{env.VAR_{n}:=x}}}}",
    "http://${{env.HOST_{n}:=localhost}}:${{env.PORT_{n}:=8080}}/v1",
    "${{env.VAR_{n}:+enabled}}",
)


def build_config(providers: int, fields: int) -> tuple[str, dict[str, str]]:
    """The YAML text of a run config and an environment that satisfies every reference in it."""
    env: dict[str, str] = {}
    lines = ["version: 2", "image_name: ${env.IMAGE:=bench}", "providers:", "  inference:"]
    for p in range(providers):
        lines += [f"  - provider_id: p{p}", "    provider_type: remote::openai", "    config:"]
        for f in range(fields):
            n = p * fields + f
            env[f"VAR_{n}"] = str(n) if f % 3 else f"value-{n}"
            form = _FIELD_FORMS[f % len(_FIELD_FORMS)].format(n=n)
            lines.append(f'      field_{f}: "{form}"')
    return "\n".join(lines) + "\n", env


class _Timer:
    """Wraps a function and accumulates the time spent inside it."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.seconds = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def measure(providers: int, fields: int, repeat: int) -> list[Figure]:
    text, env = build_config(providers, fields)
    parse = _Timer(yamlio.load_yaml)
    check = _Timer(validate.validate_run_config)
    # The pipeline looks these up by name at call time, so wrapping the module attributes times them in place.
    originals = substitute.load_yaml, pipeline.validate_run_config
    substitute.load_yaml = parse  # type: ignore[assignment]
    pipeline.validate_run_config = check  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        for _ in range(repeat):
            # Each CLI run starts with empty caches; keep the parse cache from flattering repeated renders.
            envsubst.parse.cache_clear()
            rendered = pipeline.render_config(text, "bench.yaml", env, home="/home/bench")
        total = time.perf_counter() - start
    finally:
        substitute.load_yaml, pipeline.validate_run_config = originals  # type: ignore[assignment]

    count = len(rendered.document["providers"]["inference"])
    substitution = total - parse.seconds - check.seconds
    shape = f"{count} providers x {fields} fields, {len(text) // 1024:,} KiB"
    per_render = [
        (f"render ({shape}), per render", total),
        ("  yaml parse", parse.seconds),
        ("  substitution", substitution),
        ("  validation", check.seconds),
    ]
    figures = [Figure(SUITE, label, seconds / repeat * 1000, "ms") for label, seconds in per_render]
    return figures + _validation_paths(substitute.substitute_config(text, "bench.yaml", env), repeat)


def _validation_paths(doc: dict[str, Any], repeat: int) -> list[Figure]:
    """The same document through each validation path: the pydantic-free one renders take, and pydantic's."""
    normalized = layout.normalize_layout(doc)
    validate.dump_with_pydantic(normalized, "bench.yaml")  # build the models outside the timing
    paths = [
        ("  validation, pydantic-free path", lambda: exact.dump_run_config(normalized)),
        ("  validation, pydantic path (models built)", lambda: validate.dump_with_pydantic(normalized, "")),
    ]
    figures = []
    for label, check in paths:
        start = time.perf_counter()
        for _ in range(repeat):
            assert check() is not None
        figures.append(Figure(SUITE, label, (time.perf_counter() - start) / repeat * 1000, "ms"))
    return figures


def run(quick: bool) -> list[Figure]:
    return measure(200, 20, repeat=3 if quick else 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.stdout.write(format_table(measure(args.providers, args.fields, args.repeat)))


if __name__ == "__main__":
    main()
