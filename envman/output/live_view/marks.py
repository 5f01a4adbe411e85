"""The live view's glyphs and times: a status's mark, `55.9s` done, `1m05s` running, a
limit as a spec writes it (`5m`)."""

from __future__ import annotations

from envman.kit.durations import elapsed
from envman.output.live_view.state import Step

Mark = tuple[str, str]
"""A glyph and its style."""

GOOD: Mark = ("✓", "green")
BAD: Mark = ("✗", "red")
ODD: Mark = ("!", "yellow")
IDLE: Mark = ("·", "dim")
_MARKS = {
    "succeeded": GOOD,
    "passed": GOOD,
    "verified": GOOD,
    "failed": BAD,
    "rollback-failed": BAD,
    "lost": BAD,
    "rolled-back": ("↺", "yellow"),
    "interrupted": ODD,
    "cancelled": ODD,
    "stopped": ODD,
    "unchanged": ("–", "dim"),
}
RUNNING: Mark = ("●", "cyan")
ASCII = str.maketrans({"✓": "v", "✗": "x", "↺": "<", "–": "=", "·": ".", "●": "*", "…": "~"})
"""Where the terminal's encoding has no such glyphs: one character each, so styles stay put."""


def mark(step: Step) -> Mark:
    """The glyph and style of a step's status."""
    if step.running:
        return RUNNING
    return _MARKS.get(step.status, IDLE)


def step_time(step: Step, now: float) -> str:
    """`55.9s` once done, `1m05s` (whole seconds) while running, blank before."""
    seconds = step.elapsed(now)
    if seconds is None:
        return ""
    return clock(seconds) if step.running else elapsed(seconds)


def span(seconds: float) -> str:
    """A limit as a spec writes it: `5m`, `1m30s`, `45s`."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    parts = ((hours, "h"), (rest // 60, "m"), (rest % 60, "s"))
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def clock(seconds: float) -> str:
    """A running time: whole seconds under a minute (`42s`), then `1m05s`."""
    return f"{int(seconds)}s" if seconds < 60 else elapsed(seconds)


def count(number: int, noun: str) -> str:
    """`1 cluster`, `3 clusters`."""
    return f"{number} {noun}" + ("" if number == 1 else "s")
