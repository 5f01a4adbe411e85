"""A plan as text, JSON (DESIGN.md section 5) and markdown. Secret values never shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from envman.kit.redact import REDACTED
from envman.plan.drift import MISSING, ObjectDrift
from envman.plan.model import CHART_CONTENT, Action, Change, Plan, ReleasePlan, WavePlan

Style = Callable[..., str]
FORMAT_VERSION = 1
"""The version of the plan JSON's shape (DESIGN.md section 5)."""

_COLOURS = {
    Action.INSTALL: "green",
    Action.UPGRADE: "yellow",
    Action.UNINSTALL: "red",
    Action.UNCHANGED: None,
}
_SYMBOLS = {Action.INSTALL: "+", Action.UPGRADE: "~", Action.UNINSTALL: "-", Action.UNCHANGED: "="}


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def change_text(change: Change) -> str:
    """`image.tag: "2.7.0" -> "2.8.0"`, with secret values as <redacted>."""
    if change.secret:
        return f"{change.path}: {REDACTED} (changed)"
    if change.kind in ("version", "status"):
        return f"{change.kind} {change.before} -> {change.after}"
    if change.kind == CHART_CONTENT:
        return _content_text(change)
    if change.before is None and change.after is not None:
        return f"{change.path}: added {_value(change.after)}"
    if change.after is None and change.before is not None:
        return f"{change.path}: removed (was {_value(change.before)})"
    return f"{change.path}: {_value(change.before)} -> {_value(change.after)}"


def _content_text(change: Change) -> str:
    if change.before is None:
        return f"chart content changed: {change.after}"
    return f"chart content changed (digest {change.before} -> {change.after})"


def change_json(change: Change) -> dict[str, Any]:
    hidden = change.secret
    return {
        "path": change.path,
        "kind": change.kind,
        "from": REDACTED if hidden else change.before,
        "to": REDACTED if hidden else change.after,
    }


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    parts = [f"{counts[a.value]} to {a.value}" for a in (Action.INSTALL, Action.UPGRADE, Action.UNINSTALL)]
    parts.append(f"{counts['unchanged']} unchanged")
    if counts["drift"]:
        parts.append(f"{counts['drift']} drifted")
    if counts["verify"]:
        parts.append(f"{counts['verify']} {'wave' if counts['verify'] == 1 else 'waves'} to verify")
    return f"Plan for {plan.environment}: {', '.join(parts)}."


def drift_text(drift: ObjectDrift) -> str:
    """`drift: Deployment web/web missing`, `drift: Deployment api/api modified: spec.replicas:
    live 5, desired 3` (a field that may hold a secret: its path only)."""
    if drift.reason == MISSING:
        return f"drift: {drift.ref} missing"
    return f"drift: {drift.ref} modified: {'; '.join(drift.fields())}"


def wave_state(wave: WavePlan) -> str:
    if wave.changed:
        return ""
    return "  (verify: gates will run)" if wave.needs_verify else "  (no change)"


def text_view(plan: Plan, style: Style) -> str:
    lines = []
    for index, wave in enumerate(plan.waves, 1):
        lines.append(style(f"wave {index}: {wave.name}{wave_state(wave)}", bold=True))
        for cluster in wave.clusters:
            lines.append(f"  cluster {cluster.name} [{cluster.region}]")
            for release in cluster.releases:
                lines.extend(_release_lines(release, style))
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def _release_lines(release: ReleasePlan, style: Style) -> list[str]:
    colour = _COLOURS[release.action]
    head = f"    {_SYMBOLS[release.action]} {release.release} ({release.namespace})  {release.action.value}"
    if release.action is Action.INSTALL and release.version:
        head += f"  version {release.version}"
    lines = [style(head, fg=colour) if colour else head]
    lines.extend(f"        {text}" for text in release_details(release))
    return lines


def release_details(release: ReleasePlan) -> list[str]:
    """Each change, each drifted object and each note of a release, one line each."""
    return [
        *(change_text(c) for c in release.changes),
        *(drift_text(d) for d in release.drift),
        *release.notes,
    ]


def json_view(plan: Plan) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "environment": plan.environment,
        "waves": [
            {
                "name": wave.name,
                "verified": wave.verified,
                "clusters": [
                    {
                        "name": cluster.name,
                        "region": cluster.region,
                        "releases": [_release_json(r) for r in cluster.releases],
                    }
                    for cluster in wave.clusters
                ],
            }
            for wave in plan.waves
        ],
        "summary": plan.summary(),
    }
    return json.dumps(document, indent=2, default=str)


def _release_json(release: ReleasePlan) -> dict[str, Any]:
    return {
        "app": release.app,
        "release": release.release,
        "namespace": release.namespace,
        "chart": release.chart,
        "version": release.version,
        "action": release.action.value,
        "revision": release.live.revision if release.live else None,
        "changes": [change_json(c) for c in release.changes],
        "drift": [d.to_dict() for d in release.drift],
        "notes": list(release.notes),
    }


def markdown_view(plan: Plan) -> str:
    """GitHub/GitLab markdown: a title and the summary, then one collapsible section per wave
    (open when it changes something)."""
    lines = [f"### envman plan {plan.environment}", "", f"**{summary_line(plan)}**", ""]
    for index, wave in enumerate(plan.waves, 1):
        changed = sum(1 for c in wave.clusters for r in c.releases if r.changed)
        opened = " open" if changed else ""
        title = f"Wave {index}: {wave.name}{wave_state(wave)}: {changed} change{'s' if changed != 1 else ''}"
        lines += [
            f"<details{opened}><summary>{_html(title)}</summary>",
            "",
            "| cluster | release | action | changes |",
            "|---|---|---|---|",
        ]
        for cluster in wave.clusters:
            for release in cluster.releases:
                changes = "<br>".join(_md(text) for text in release_details(release)) or "-"
                lines.append(f"| {cluster.name} | {release.release} | {release.action.value} | {changes} |")
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<redacted>", "`<redacted>`")
