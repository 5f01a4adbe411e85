"""What `envman history` prints: a table of revisions per cluster (with helm's description,
so a rollback shows, and the images each ran), or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from envman.plan.cluster_state import COMMIT_LABEL, LiveRelease, ReleaseHistory
from envman.plan.images import release_images

_HEADERS = ("REVISION", "UPDATED", "STATUS", "CHART", "VERSION", "APP", "COMMIT", "DESCRIPTION", "IMAGES")


def history_text(histories: Sequence[ReleaseHistory]) -> str:
    blocks = []
    for found in histories:
        title = f"{found.cluster}: {found.namespace}/{found.release}"
        if not found.revisions:
            blocks.append(f"{title}: not installed")
            continue
        rows = [_HEADERS, *(_row(r, found.namespace) for r in found.revisions)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        blocks.append("\n".join([title, *(f"  {line}" for line in lines)]))
    return "\n".join(blocks)


def history_json(histories: Sequence[ReleaseHistory]) -> str:
    doc = [
        {
            "cluster": h.cluster,
            "release": h.release,
            "namespace": h.namespace,
            "revisions": [
                {
                    "revision": r.revision,
                    "updated": r.updated.isoformat() if r.updated else None,
                    "status": r.status,
                    "chart": r.chart_name,
                    "version": r.chart_version,
                    "app_version": r.app_version or None,
                    "commit": r.labels.get(COMMIT_LABEL),
                    "description": r.description,
                    "images": list(release_images(r.manifest, h.namespace)),
                }
                for r in h.revisions
            ],
        }
        for h in histories
    ]
    return json.dumps(doc, indent=2)


def _row(revision: LiveRelease, namespace: str) -> tuple[str, ...]:
    updated = revision.updated.strftime("%Y-%m-%d %H:%M:%S") if revision.updated else "-"
    commit = revision.labels.get(COMMIT_LABEL, "-")
    short = commit[:12] + ("-dirty" if commit.endswith("-dirty") else "") if commit != "-" else "-"
    return (
        str(revision.revision),
        updated,
        revision.status,
        revision.chart_name,
        revision.chart_version,
        revision.app_version or "-",
        short,
        revision.description or "-",
        ", ".join(release_images(revision.manifest, namespace)) or "-",
    )
