"""A plan as text, JSON (DESIGN.md section 5) and markdown. Secret values never shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from envman.kit.redact import REDACTED
from envman.plan.model import Action, Change, Plan, ReleasePlan

Style = Callable[..., str]

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
    if change.before is None and change.after is not None:
        return f"{change.path}: added {_value(change.after)}"
    if change.after is None and change.before is not None:
        return f"{change.path}: removed (was {_value(change.before)})"
    return f"{change.path}: {_value(change.before)} -> {_value(change.after)}"


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
    return f"Plan for {plan.environment}: {', '.join(parts)}, {counts['unchanged']} unchanged."


def text_view(plan: Plan, style: Style) -> str:
    lines = []
    for index, wave in enumerate(plan.waves, 1):
        state = "" if wave.changed else "  (no change)"
        lines.append(style(f"wave {index}: {wave.name}{state}", bold=True))
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
    lines.extend(f"        {change_text(c)}" for c in release.changes)
    return lines


def json_view(plan: Plan) -> str:
    document = {
        "environment": plan.environment,
        "waves": [
            {
                "name": wave.name,
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
    }


def markdown_view(plan: Plan) -> str:
    lines = [f"**{summary_line(plan)}**", ""]
    for index, wave in enumerate(plan.waves, 1):
        lines += [
            f"### Wave {index}: {wave.name}",
            "",
            "| cluster | release | action | changes |",
            "|---|---|---|---|",
        ]
        for cluster in wave.clusters:
            for release in cluster.releases:
                changes = "<br>".join(_md(change_text(c)) for c in release.changes) or "-"
                lines.append(f"| {cluster.name} | {release.release} | {release.action.value} | {changes} |")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<redacted>", "`<redacted>`")
