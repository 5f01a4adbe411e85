"""`envman status`: one row per release and one per wave (JSON), or a table with a header
row, what differs under each release, each wave's verification, and once at the end the
secrets it did not compare (text)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from envman.output.plan_views import change_json, change_text, drift_text
from envman.plan.cluster_state import COMMIT_LABEL, WaveVerification
from envman.plan.drift import MISSING
from envman.plan.images import release_images
from envman.plan.model import Action, ReleasePlan

Style = Callable[..., str]
"""`click.style`-like: (text, fg=..., bold=...) -> text."""
SECRET_NOTE = "secret not compared: "


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
        "app_version": (live.app_version or None) if live else None,
        "images": list(release_images(live.manifest, release.namespace)) if live else [],
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


def wave_row(
    name: str, verified: bool, records: Mapping[str, WaveVerification | None], unverified: Sequence[str] = ()
) -> dict[str, Any]:
    """`verified`: the record covers what runs on every cluster of the wave; `unverified`:
    the releases whose running state its gates did not pass for (`api on prod-use1`)."""
    return {
        "name": name,
        "verified": verified,
        "clusters": {c: r.verified_at if r else None for c, r in records.items()},
        "unverified": list(unverified),
    }


def status_json(environment: str, rows: Sequence[dict[str, Any]], waves: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"environment": environment, "releases": list(rows), "waves": list(waves)}, indent=2)


_HEADERS = ("CLUSTER", "RELEASE", "CHART", "APP", "REV", "STATUS", "HEALTH", "STATE", "COMMIT", "IMAGES")
_STATE_COLOURS = {"missing": "red", "drifted": "yellow", "differs": "yellow", "not-installed": "yellow"}
_HEALTH = {True: ("healthy", "green"), False: ("unhealthy", "red"), None: ("not read", None)}


def status_text(
    rows: Sequence[dict[str, Any]],
    releases: Sequence[ReleasePlan],
    waves: Sequence[dict[str, Any]],
    style: Style,
) -> str:
    """The table of releases (what differs, drift and health problems under each), each
    wave's verification, then once the secret values it did not compare."""
    cells = [_HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADERS))]
    lines = [_line(_HEADERS, widths, style, header=True)]
    for row, release in zip(rows, releases, strict=True):
        lines.append(_line(_cells(row), widths, style))
        lines += [f"    {detail}" for detail in _details(row, release)]
    lines += [wave_line(wave) for wave in waves]
    secrets = sorted(
        {
            f"{r.app} {n.removeprefix(SECRET_NOTE)}"
            for r in releases
            for n in r.notes
            if n.startswith(SECRET_NOTE)
        }
    )
    if secrets:
        lines.append(f"secret values not compared (status reads no secret): {', '.join(secrets)}")
    return "\n".join(lines)


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    commit = row["commit"] or "-"
    short = commit[:12] + ("-dirty" if commit.endswith("-dirty") else "") if row["commit"] else "-"
    installed = row["status"] != "not-installed"
    return (
        row["cluster"],
        row["release"],
        row["version"] or "-",
        row["app_version"] or "-",
        str(row["revision"]) if installed else "-",
        row["status"],
        _HEALTH[row["healthy"]][0] if installed else "-",
        row["state"],
        short,
        ", ".join(row["images"]) or "-",
    )


def _line(cells: Sequence[str], widths: Sequence[int], style: Style, *, header: bool = False) -> str:
    """The cells padded to their column; HEALTH and STATE coloured (after padding: colour
    codes take no room)."""
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
    if header:
        return style("  ".join(padded).rstrip(), bold=True)
    health, state = padded[6], padded[7]
    colour = next((c for text, c in _HEALTH.values() if text == health.strip()), None)
    padded[6] = style(health, fg=colour) if colour else health
    padded[7] = style(state, fg=_STATE_COLOURS[state.strip()]) if state.strip() in _STATE_COLOURS else state
    return "  ".join(padded).rstrip()


def _details(row: dict[str, Any], release: ReleasePlan) -> list[str]:
    """Under a release: its health problems, what differs from the spec, its drift, and its
    notes but the secrets not compared (said once, at the end)."""
    differs = [f"differs: {change_text(c)}" for c in release.changes]
    notes = [n for n in release.notes if not n.startswith(SECRET_NOTE)]
    return [*row["health"], *differs, *(drift_text(d) for d in release.drift), *notes]


def wave_line(row: dict[str, Any]) -> str:
    """`wave canary: verified for what runs; last verified <time>`, or which releases run a
    state its gates did not pass for."""
    times = sorted({t for t in row["clusters"].values() if t})
    last = f"last verified {times[-1]}" if times else "never verified"
    if row["verified"]:
        state = "verified for what runs"
    else:
        state = f"not verified for what runs (its gates did not pass for: {', '.join(row['unverified'])})"
    return f"wave {row['name']}: {state}; {last}"
