"""Did-you-mean hints: the one place that guesses which known name a mistyped one meant.

Candidates are compared in sorted order, so the same input always gives the same hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6


def close_matches(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """The candidates closest to `name`, best first (at most `limit`)."""
    return difflib.get_close_matches(name, sorted(set(candidates)), n=limit, cutoff=CUTOFF)


def did_you_mean(name: str, candidates: Iterable[str], *, limit: int = 3) -> str | None:
    """`did you mean 'x'?` (or `'x' or 'y'`) for the closest candidates, or None when none is close."""
    matches = close_matches(name, candidates, limit=limit)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
