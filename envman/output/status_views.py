"""`envman status`: one row per release and one per wave (JSON), or a line each (text)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from envman.output.plan_views import change_json, drift_text
from envman.plan.cluster_state import COMMIT_LABEL, WaveVerification
from envman.plan.drift import MISSING
from envman.plan.model import Action, ReleasePlan

Style = Callable[..., str]
"""`click.style`-like: (text, fg=..., bold=...) -> text."""


def release_state(release: ReleasePlan) -> str:
    """`not-installed`, `missing` (an object is gone), `drifted` (one was edited), `differs`
    (the spec wants a change) or `in-sync`."""
    if release.live is None:
        return "not-installed"
    if any(d.reason == MISSING for d in release.drift):
        return "missing"
    if release.drift:
        return "drifted"
    return "in-sync" if release.action is Action.UNCHANGED else "differs"


def status_row(release: ReleasePlan, problems: Sequence[str] | None) -> dict[str, Any]:
    """The JSON row of one release; `problems` are its unhealthy workloads (None: not read)."""
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
        "commit": live.labels.get(COMMIT_LABEL) if live else None,
        "healthy": None if live is None or problems is None else not problems,
        "health": list(problems or ()),
        "state": release_state(release),
        "drift": [d.to_dict() for d in release.drift],
        "changes": [change_json(c) for c in release.changes],
        "notes": list(release.notes),
        "wanted": release.version,
    }


def wave_row(name: str, verified: bool, records: Mapping[str, WaveVerification | None]) -> dict[str, Any]:
    return {
        "name": name,
        "verified": verified,
        "clusters": {c: r.verified_at if r else None for c, r in records.items()},
    }


def status_json(environment: str, rows: Sequence[dict[str, Any]], waves: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"environment": environment, "releases": list(rows), "waves": list(waves)}, indent=2)


_STATE_COLOURS = {"missing": "red", "drifted": "yellow", "differs": "yellow", "not-installed": "yellow"}


def status_line(row: dict[str, Any], release: ReleasePlan, style: Style) -> str:
    where = f"{row['cluster']:<20} {row['release']:<16}"
    if row["status"] == "not-installed":
        return f"{where} " + style("not installed", fg="yellow")
    health = {
        True: style("healthy", fg="green"),
        False: style("unhealthy", fg="red"),
        None: "health not read",
    }
    state = row["state"]
    shown = style(state, fg=_STATE_COLOURS[state]) if state in _STATE_COLOURS else state
    text = (
        f"{where} {row['version']:<8} rev {row['revision']:<3} {row['status']:<10} "
        f"{health[row['healthy']]}  {shown}"
    )
    if row["commit"]:
        text += f"  (from {row['commit'][:12]}{'-dirty' if row['commit'].endswith('-dirty') else ''})"
    details = [*row["health"], *(drift_text(d) for d in release.drift), *row["notes"]]
    return "\n".join([text, *(f"    {detail}" for detail in details)])


def wave_line(row: dict[str, Any]) -> str:
    times = sorted({t for t in row["clusters"].values() if t})
    last = f"last verified {times[-1]}" if times else "never verified"
    state = "verified for what runs" if row["verified"] else "not verified for what runs (gates will run)"
    return f"wave {row['name']}: {state}; {last}"
