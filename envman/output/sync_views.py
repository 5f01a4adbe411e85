"""The lines `envman sync` ends with, after its progress: how the run ended and, when it did
not succeed, why (the failing release and helm's error, or the pod, container, reason and
message; a gate's output), where it was rolled back, and where the report is."""

from __future__ import annotations

import textwrap
from pathlib import Path

from envman.rollout.report import Report
from envman.rollout.results import ReleaseResult


def end_lines(report: Report, report_path: Path | None = None, width: int | None = None) -> list[str]:
    """`sync prod: failed in 3.0s`, then `error: <why>; rolled back on <clusters>; report:
    <path>` and the further lines of why (a gate's output) indented under it. Never cut: one
    line each (a log), or with `width` (a terminal) wrapped at words under their start."""
    head = f"sync {report.environment}: {report.result.value} in {report.seconds:.1f}s"
    if report.next:
        head += f"; {report.next}"
    where = [f"report: {report_path}"] if report_path is not None else []
    if not report.error:
        return _wrapped("; ".join([head, *where]), width, "  ")
    first, *rest = report.error.splitlines() or [""]
    error = "error: " + "; ".join([first, *_rollbacks(report), *where])
    return [*_wrapped(head, width, "  "), *_wrapped(error, width, " " * 7), *(f"  {line}" for line in rest)]


def _wrapped(line: str, width: int | None, indent: str) -> list[str]:
    if width is None:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]


def _rollbacks(report: Report) -> list[str]:
    """`rolled back on c1, c2`, `rollback failed on c3`: the clusters of each outcome."""
    found = []
    outcomes = (
        (ReleaseResult.ROLLED_BACK, "rolled back on"),
        (ReleaseResult.ROLLBACK_FAILED, "rollback failed on"),
    )
    for result, words in outcomes:
        clusters = [
            c.name for w in report.waves for c in w.clusters if any(r.result is result for r in c.releases)
        ]
        if clusters:
            found.append(f"{words} {', '.join(dict.fromkeys(clusters))}")
    return found
