"""'Did you mean ...?' for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `name`, if any is close enough."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?`, or the valid names when none is close, or nothing."""
    pool = sorted(set(candidates))
    match = closest(name, pool)
    if match is not None:
        return f"; did you mean {match!r}?"
    if 0 < len(pool) <= 8:
        return f"; valid: {', '.join(pool)}"
    return ""
