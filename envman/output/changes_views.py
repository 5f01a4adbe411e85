"""What `envman changed` prints: a line per affected environment, or JSON for CI."""

from __future__ import annotations

import json

from envman.plan.changes import EnvironmentChange


def changes_text(base: str, changes: list[EnvironmentChange]) -> str:
    if not changes:
        return f"no environment is affected by the changes since {base[:12]}"
    lines = []
    for change in changes:
        what = "new environment" if change.new else "rollout or clusters changed" if change.rollout else ""
        apps = (
            f"apps {', '.join(change.apps)} on {len(change.clusters)} cluster(s)" if change.releases else ""
        )
        lines.append(f"{change.name}: " + "; ".join(p for p in (what, apps) if p))
    return "\n".join(lines)


def changes_json(base: str, changes: list[EnvironmentChange]) -> str:
    doc = {
        "merge_base": base,
        "environments": [
            {
                "name": c.name,
                "new": c.new,
                "rollout": c.rollout,
                "clusters": c.clusters,
                "apps": c.apps,
                "releases": [{"cluster": cluster, "app": app} for cluster, app in c.releases],
            }
            for c in changes
        ],
    }
    return json.dumps(doc, indent=2)
