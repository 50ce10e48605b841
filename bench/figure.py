"""One measured figure, and the single table every benchmark's figures are printed in.

A figure may carry a ratio to the machine's baseline (`python -c 'import typer'`, measured in the same run)
and a target for that ratio; the table then says whether the target is met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    suite: str  # "start-up", "render", ...
    label: str
    value: float
    unit: str  # "ms", "s", "items/s", "req/s", ...
    ratio: float | None = None  # to the baseline of the same run
    target: float | None = None  # the ratio must not exceed this

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target


def _value(figure: Figure) -> str:
    if figure.unit in ("items/s", "req/s", "rows", "errors"):
        return f"{figure.value:,.0f} {figure.unit}"
    return f"{figure.value:,.1f} {figure.unit}" if figure.value >= 10 else f"{figure.value:.3f} {figure.unit}"


def format_table(figures: Sequence[Figure]) -> str:
    """A Markdown table: it reads as plain text on a terminal and pastes into the README as is."""
    headers = ("suite", "figure", "value", "x typer", "target", "met")
    rows = [
        (
            f.suite,
            f.label,
            _value(f),
            "" if f.ratio is None else f"{f.ratio:.2f}x",
            "" if f.target is None else f"<= {f.target:g}x",
            {None: "", True: "yes", False: "NO"}[f.met],
        )
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    right = {2, 3}

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in rows)]) + "\n"
