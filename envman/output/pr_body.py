"""The markdown pull-request body of a promotion: the changes, the warnings, the evidence."""

from __future__ import annotations

from envman.promote.evidence import ClusterEvidence, Evidence
from envman.promote.promotion import FieldChange, Promotion, show
from envman.rollout.ports import ReleaseRevision

NOT_CHECKED = "not checked"


def title(promotion: Promotion) -> str:
    apps = ", ".join(sorted({change.app for change in promotion.changes}))
    return f"Promote {promotion.source} to {promotion.destination}: {apps}"


def commit_message(promotion: Promotion) -> str:
    lines = [title(promotion), ""]
    for c in promotion.changes:
        lines.append(
            f"- {c.app} {c.label}: {show(c.before) if c.had_before else '(unset)'} -> {show(c.after)}"
        )
    return "\n".join(lines) + "\n"


def body(promotion: Promotion, evidence: Evidence | None) -> str:
    lines = [
        f"## Promote {promotion.source} to {promotion.destination}",
        "",
        f"Edits `{promotion.file}`.",
        "",
        "| app | field | from | to |",
        "|---|---|---|---|",
    ]
    lines += [_row(change) for change in promotion.changes]
    lines += _notes(promotion)
    lines += _bullets("Warnings", promotion.warnings)
    if evidence is not None:
        lines += _evidence(promotion.source, evidence)
    return "\n".join(lines) + "\n"


def _cell(value: object, present: bool) -> str:
    return f"`{show(value)}`" if present else "(unset)"


def _row(change: FieldChange) -> str:
    before = _cell(change.before, change.had_before)
    return f"| {change.app} | {change.label} | {before} | `{show(change.after)}` |"


def _notes(promotion: Promotion) -> list[str]:
    """Changes written somewhere else than where the destination's value came from."""
    notes = [
        f"`{c.app}` {c.label}: was set in `{c.defined_in}`; now set in `{promotion.file}`, which wins"
        for c in promotion.changes
        if c.defined_in is not None and c.defined_in != promotion.file
    ]
    return _bullets("Notes", notes)


def _bullets(heading: str, items: list[str]) -> list[str]:
    return ["", f"### {heading}", "", *(f"- {item}" for item in items)] if items else []


def _evidence(source: str, evidence: Evidence) -> list[str]:
    lines = ["", f"### Evidence from {source}"]
    rows = [row for cluster in evidence.clusters for row in _cluster_rows(cluster)]
    if rows:
        lines += [
            "",
            "| cluster | app | chart version | revision | status | health | deployed |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    if any(r.health is None for c in evidence.clusters for r in c.releases):
        lines += ["", f"health: {NOT_CHECKED} (no workload health check is available yet)"]
    unavailable = [
        f"evidence unavailable for cluster {c.cluster}: {c.unavailable}"
        for c in evidence.clusters
        if c.unavailable
    ]
    tail = [*(f"- warning: {w}" for w in evidence.warnings), *(f"- {u}" for u in unavailable)]
    return [*lines, "", *tail] if tail else lines


def _cluster_rows(cluster: ClusterEvidence) -> list[str]:
    return [
        f"| {cluster.cluster} | {r.app} | {r.revision.chart_version} | {r.revision.revision} "
        f"| {r.revision.status} | {r.health or NOT_CHECKED} | {when(r.revision)} |"
        for r in cluster.releases
    ]


def when(revision: ReleaseRevision) -> str:
    """When the revision was deployed, to the second."""
    return revision.updated.isoformat(timespec="seconds")
