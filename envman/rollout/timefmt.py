"""Durations for people: `12.3s`, `4m12s`, `1h02m`."""

from __future__ import annotations


def elapsed(seconds: float) -> str:
    """`seconds` as a short human duration."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
