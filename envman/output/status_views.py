"""`envman status`: one row per release (JSON), or one line per release (text)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from envman.plan.model import Action, ReleasePlan

Style = Callable[..., str]
"""`click.style`-like: (text, fg=..., bold=...) -> text."""


def status_row(release: ReleasePlan, problems: Sequence[str]) -> dict[str, Any]:
    """The JSON row of one release; `problems` are its unhealthy workloads."""
    live = release.live
    return {
        "cluster": release.cluster,
        "app": release.app,
        "release": release.release,
        "namespace": release.namespace,
        "version": live.chart_version if live else None,
        "revision": live.revision if live else None,
        "status": live.status if live else "not-installed",
        "updated": live.updated.isoformat() if live and live.updated else None,
        "healthy": None if live is None else not problems,
        "health": list(problems),
        "drift": release.action is not Action.UNCHANGED,
        "wanted": release.version,
    }


def status_json(environment: str, rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"environment": environment, "releases": list(rows)}, indent=2)


def status_line(row: dict[str, Any], style: Style) -> str:
    if row["status"] == "not-installed":
        return f"{row['cluster']:<20} {row['release']:<16} " + style("not installed", fg="yellow")
    health = style("healthy", fg="green") if row["healthy"] else style("unhealthy", fg="red")
    drift = style("  drift: live differs from the spec", fg="yellow") if row["drift"] else ""
    where = f"{row['cluster']:<20} {row['release']:<16}"
    text = f"{where} {row['version']:<8} rev {row['revision']:<3} {row['status']:<10} {health}{drift}"
    return "\n".join([text, *(f"    {problem}" for problem in row["health"])])
