"""The report as markdown, for `$GITHUB_STEP_SUMMARY`: a result line, then a table per wave."""

from __future__ import annotations

from typing import Any

from envman.kit.durations import elapsed
from envman.rollout.report import Report

_ICONS = {
    "succeeded": "✅",
    "passed": "✅",
    "unchanged": "➖",
    "not-started": "⏸️",
    "awaiting-approval": "⏸️",
    "failed": "❌",
    "rollback-failed": "❌",
    "rolled-back": "↩️",
    "interrupted": "⚠️",
    "cancelled": "⚠️",
    "error": "❌",
}


def markdown_summary(report: Report) -> str:
    """Markdown of `report`, secrets redacted."""
    doc = report.to_dict()
    lines = [f"## {_icon(doc['result'])} envman sync {doc['environment']}: {doc['result']}", ""]
    waves = f"{len(doc['waves'])} wave" + ("" if len(doc["waves"]) == 1 else "s")
    lines.append(f"{waves} in {elapsed(doc['seconds'])}, on failure: {doc['on_failure']}.")
    if doc["error"]:
        lines += ["", _cell(doc["error"])]
    if doc["next"]:
        lines += ["", f"To continue: `{doc['next']}`"]
    for wave in doc["waves"]:
        lines += ["", *_wave(wave)]
    return "\n".join(lines) + "\n"


def _wave(wave: dict[str, Any]) -> list[str]:
    lines = [f"### Wave {wave['name']}: {_icon(wave['result'])} {wave['result']}", ""]
    lines += ["| cluster | app | action | result | revision | seconds |", "|---|---|---|---|---|---|"]
    for cluster in wave["clusters"]:
        for release in cluster["releases"]:
            lines.append(
                _row(
                    cluster["name"],
                    release["app"],
                    release["action"],
                    _release_result(release),
                    release["revision"],
                    release["seconds"],
                )
            )
    if wave["gates"]:
        lines += ["", "| gate | where | result | detail |", "|---|---|---|---|"]
        for gate in wave["gates"]:
            where = gate["cluster"] or gate["region"] or "wave"
            lines.append(
                _row(gate["gate"], where, f"{_icon(gate['result'])} {gate['result']}", gate["detail"])
            )
    return lines


def _release_result(release: dict[str, Any]) -> str:
    text = f"{_icon(release['result'])} {release['result']}"
    if release["error"]:
        text += f": {release['error']}"
    rollback = release["rollback"]
    if rollback and rollback["result"] != "succeeded":
        text += f" (rollback {rollback['result']}: {rollback['detail']})"
    return text


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell("" if c is None else str(c)) for c in cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _icon(result: str) -> str:
    return _ICONS.get(result, "")
