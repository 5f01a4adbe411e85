"""A plan as text, JSON (`docs/plan-json.md`) and markdown. Secret values never shown.

Every view renders the plan's document (`plan_document`: what `plan -o json` prints), so a
plan saved by `plan --out` shows exactly as it did (`envman show`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from envman.kit.redact import REDACTED
from envman.plan.drift import MISSING, FieldDrift, ObjectDrift
from envman.plan.model import CHART_CONTENT, Action, Change, Plan, ReleasePlan

Style = Callable[..., str]
Doc = Mapping[str, Any]
FORMAT_VERSION = 1
"""The version of the plan JSON's shape (`docs/plan-json.md`)."""

_COLOURS = {"install": "green", "upgrade": "yellow", "uninstall": "red"}
_SYMBOLS = {"install": "+", "upgrade": "~", "uninstall": "-", "unchanged": "="}
_ACTIONS = (Action.INSTALL, Action.UPGRADE, Action.UNINSTALL)


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def change_text(change: Change) -> str:
    """`image.tag: "2.7.0" -> "2.8.0"`, with secret values as <redacted>."""
    return _change_text(change_json(change))


def _change_text(change: Doc) -> str:
    path, kind, before, after = change["path"], change["kind"], change["from"], change["to"]
    if before == after == REDACTED:
        return f"{path}: {REDACTED} (changed)"
    if kind in ("version", "status"):
        return f"{kind} {before} -> {after}"
    if kind == CHART_CONTENT:
        return (
            f"chart content changed: {after}"
            if before is None
            else f"chart content changed (digest {before} -> {after})"
        )
    if before is None and after is not None:
        return f"{path}: added {_value(after)}"
    if after is None and before is not None:
        return f"{path}: removed (was {_value(before)})"
    return f"{path}: {_value(before)} -> {_value(after)}"


def change_json(change: Change) -> dict[str, Any]:
    hidden = change.secret
    return {
        "path": change.path,
        "kind": change.kind,
        "from": REDACTED if hidden else change.before,
        "to": REDACTED if hidden else change.after,
    }


def drift_text(drift: ObjectDrift) -> str:
    """`drift: Deployment web/web missing`, `drift: Deployment api/api modified: spec.replicas:
    live 5, desired 3` (a field that may hold a secret: its path only)."""
    return _drift_text(drift.to_dict())


def _drift_text(drift: Doc) -> str:
    namespace = f"{drift['namespace']}/" if drift["namespace"] else ""
    ref = f"{drift['kind']} {namespace}{drift['name']}"
    if drift["reason"] == MISSING:
        return f"drift: {ref} missing"
    shown = {v["path"]: str(FieldDrift(v["path"], v["live"], v["desired"])) for v in drift.get("values", [])}
    return f"drift: {ref} modified: {'; '.join(shown.get(p, p) for p in drift['paths'])}"


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as `plan -o json` prints it (and `plan --out` saves it)."""
    return {
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


def json_view(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, default=str)


def text_view(plan: Plan, style: Style) -> str:
    return document_text(plan_document(plan), style)


def markdown_view(plan: Plan) -> str:
    return document_markdown(plan_document(plan))


def summary_line(doc: Doc) -> str:
    counts = doc["summary"]
    parts = [f"{counts[a.value]} to {a.value}" for a in _ACTIONS]
    parts.append(f"{counts['unchanged']} unchanged")
    if counts["drift"]:
        parts.append(f"{counts['drift']} drifted")
    if counts["verify"]:
        parts.append(f"{counts['verify']} {'wave' if counts['verify'] == 1 else 'waves'} to verify")
    return f"Plan for {doc['environment']}: {', '.join(parts)}."


def _changes(wave: Doc) -> int:
    return sum(1 for c in wave["clusters"] for r in c["releases"] if r["action"] != Action.UNCHANGED.value)


def wave_state(wave: Doc) -> str:
    if _changes(wave):
        return ""
    return "  (no change)" if wave["verified"] else "  (verify: gates will run)"


def document_text(doc: Doc, style: Style) -> str:
    """A plan document as text: per wave, cluster and release, each change on its own line."""
    lines = []
    for index, wave in enumerate(doc["waves"], 1):
        lines.append(style(f"wave {index}: {wave['name']}{wave_state(wave)}", bold=True))
        for cluster in wave["clusters"]:
            lines.append(f"  cluster {cluster['name']} [{cluster['region']}]")
            for release in cluster["releases"]:
                lines.extend(_release_lines(release, style))
        lines.append("")
    lines.append(summary_line(doc))
    return "\n".join(lines)


def _release_lines(release: Doc, style: Style) -> list[str]:
    action = release["action"]
    head = f"    {_SYMBOLS[action]} {release['release']} ({release['namespace']})  {action}"
    if action == Action.INSTALL.value and release["version"]:
        head += f"  version {release['version']}"
    colour = _COLOURS.get(action)
    lines = [style(head, fg=colour) if colour else head]
    lines.extend(f"        {text}" for text in release_details(release))
    return lines


def release_details(release: Doc) -> list[str]:
    """Each change, each drifted object and each note of a release, one line each."""
    return [
        *(_change_text(c) for c in release["changes"]),
        *(_drift_text(d) for d in release["drift"]),
        *release["notes"],
    ]


def document_markdown(doc: Doc) -> str:
    """GitHub/GitLab markdown: a title and the summary, then one collapsible section per wave
    (open when it changes something)."""
    lines = [f"### envman plan {doc['environment']}", "", f"**{summary_line(doc)}**", ""]
    for index, wave in enumerate(doc["waves"], 1):
        changed = _changes(wave)
        opened = " open" if changed else ""
        title = (
            f"Wave {index}: {wave['name']}{wave_state(wave)}: {changed} change{'s' if changed != 1 else ''}"
        )
        lines += [
            f"<details{opened}><summary>{_html(title)}</summary>",
            "",
            "| cluster | release | action | changes |",
            "|---|---|---|---|",
        ]
        for cluster in wave["clusters"]:
            for release in cluster["releases"]:
                changes = "<br>".join(_md(text) for text in release_details(release)) or "-"
                lines.append(
                    f"| {cluster['name']} | {release['release']} | {release['action']} | {changes} |"
                )
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<redacted>", "`<redacted>`")
