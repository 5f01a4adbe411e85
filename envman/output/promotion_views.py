"""`envman promote -o json`: the promotion, its commit and its evidence as JSON."""

from __future__ import annotations

import json
from typing import Any

from envman.output.pr_body import when
from envman.promote.evidence import Evidence
from envman.promote.outcome import Outcome
from envman.promote.promotion import FieldChange


def outcome_json(outcome: Outcome) -> str:
    return json.dumps(_json(outcome), indent=2)


def _json(outcome: Outcome) -> dict[str, Any]:
    promotion = outcome.promotion
    return {
        "source": promotion.source,
        "destination": promotion.destination,
        "file": promotion.file,
        "changes": [_change(c) for c in promotion.changes],
        "warnings": promotion.warnings,
        "branch": outcome.branch,
        "commit": outcome.commit,
        "evidence": _evidence(outcome.evidence),
        "body": outcome.body,
        "notices": outcome.notices,
    }


def _change(change: FieldChange) -> dict[str, Any]:
    return {
        "app": change.app,
        "field": change.field,
        "scope": change.scope or None,
        "from": change.before if change.had_before else None,
        "to": change.after,
        "path": list(change.path),
        "previouslyDefinedIn": change.defined_in,
    }


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    clusters = [
        {
            "cluster": c.cluster,
            "unavailable": c.unavailable,
            "releases": [
                {
                    "app": r.app,
                    "chartVersion": r.revision.chart_version,
                    "revision": r.revision.revision,
                    "status": r.revision.status,
                    "health": r.health,
                    "updated": when(r.revision),
                }
                for r in c.releases
            ],
        }
        for c in evidence.clusters
    ]
    return {"clusters": clusters, "warnings": evidence.warnings}
