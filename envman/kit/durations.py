"""Durations as written in specs (`30s`, `10m`, `1h30m`) and for people (`12.3s`, `4m12s`)."""

from __future__ import annotations

import re

DURATION_PATTERN = r"^(\d+h)?(\d+m)?(\d+s)?$"
_DURATION = re.compile(DURATION_PATTERN)
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError names the accepted forms."""
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"invalid duration {text!r}: use a number with h, m or s, like 30s, 10m, 1h30m")
    return float(sum(int(part[:-1]) * _UNIT_SECONDS[part[-1]] for part in match.groups() if part))


def elapsed(seconds: float) -> str:
    """`seconds` as a short human duration."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
