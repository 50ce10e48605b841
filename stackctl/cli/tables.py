"""Tables drawn with rich for a terminal: fitted to its width, one line per row.

Imported only when a table goes to a terminal (`stackctl.cli.output` decides), so that commands whose
output is piped never import rich. Cells arrive as text already escaped; they are never read as markup.
A column that does not fit is narrowed and its cells end in an ellipsis: the widest columns give way
first, the identifying first column last, so that an id stays whole whenever the terminal allows it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

GAP = 2  # spaces between columns
MIN_CELL = 6  # a narrowed column keeps at least this much (or its header, if longer)
SHORT = 24  # columns up to this wide (times, states, names) give way only after the long ones


def fit_widths(natural: Sequence[int], floors: Sequence[int], width: int) -> list[int]:
    """Column widths that fit `width`, gaps included. Columns give way in three rounds: the long ones
    (free text, JSON) down to SHORT, widest first; then every column but the first, right to left, down
    to its floor; then the first (the id). If even the floors do not fit, they are returned."""
    widths = list(natural)
    excess = sum(widths) + GAP * (len(widths) - 1) - width

    def shrink(index: int, floor: int) -> None:
        nonlocal excess
        step = max(0, min(excess, widths[index] - floor))
        widths[index] -= step
        excess -= step

    while excess > 0:
        long = [i for i in range(1, len(widths)) if widths[i] > max(SHORT, floors[i])]
        if not long:
            break
        widest = max(long, key=lambda i: (widths[i], i))  # on a tie, the rightmost
        narrower = [widths[i] for i in long if widths[i] < widths[widest]]
        shrink(widest, max([SHORT, floors[widest], *narrower]))
    for index in range(len(widths) - 1, 0, -1):
        shrink(index, floors[index])
    if widths:
        shrink(0, floors[0])
    return widths


def draw_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int, color: bool) -> str:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    natural = [max([cell_len(h)] + [cell_len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    floors = [min(n, max(MIN_CELL, cell_len(h))) for n, h in zip(natural, headers, strict=True)]
    widths = fit_widths(natural, floors, width)
    table = Table(
        box=None,
        pad_edge=False,
        padding=(0, GAP, 0, 0),
        show_edge=False,
        header_style="bold" if color else "",
        highlight=False,
    )
    for header, column_width in zip(headers, widths, strict=True):
        table.add_column(Text(header), width=column_width, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*(Text(cell, no_wrap=True, overflow="ellipsis") for cell in row))
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )
    console.print(table)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
