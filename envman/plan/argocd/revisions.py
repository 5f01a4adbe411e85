"""Revisions of an Application (pure): Argo CD's history of syncs, and the specs envman
recorded in the `envman.io/revisions` annotation, by Argo CD's history id, each time it saw
a sync of its own reach Healthy (Argo CD records a sync once applied, Healthy or not).

envman counts revisions from 1, as helm does: revision N is Argo CD's history id N-1 (Argo
CD counts from 0). A rollback to a revision re-applies its recorded spec, else the source of
Argo CD's history entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envman.plan.argocd.applications import REVISIONS_ANNOTATION

Obj = Mapping[str, Any]
KEPT_REVISIONS = 10
KEPT_BYTES = 128 * 1024
"""envman keeps the specs of its last 10 successful syncs in the annotation, fewer when
they would take more than this (annotations of an object hold 256 KiB in all)."""


@dataclass(frozen=True)
class SyncedSpec:
    """A spec envman synced successfully: Argo CD's history id, the source, and the
    annotations it carried (commit, chart digest, chart version)."""

    id: int
    source: Mapping[str, Any] = field(hash=False)
    annotations: Mapping[str, str] = field(hash=False, default_factory=dict)
    synced_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": dict(self.source),
            "annotations": dict(self.annotations),
            "syncedAt": self.synced_at,
        }


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def history_of(obj: Obj) -> list[Mapping[str, Any]]:
    """Argo CD's history of successful syncs, oldest first."""
    entries = [e for e in (obj.get("status") or {}).get("history") or [] if isinstance(e.get("id"), int)]
    return sorted(entries, key=lambda e: int(e["id"]))


def revision_of(history_id: int) -> int:
    """envman's revision of Argo CD's history id (helm's count from 1, Argo CD's from 0)."""
    return history_id + 1


def history_id(revision: int) -> int:
    return revision - 1


def last_revision(obj: Obj) -> int:
    """The revision of the last successful sync, 0 when there was none."""
    history = history_of(obj)
    return revision_of(int(history[-1]["id"])) if history else 0


def good_revision(obj: Obj) -> int | None:
    """The last revision envman saw synced and Healthy (Argo CD's history also holds syncs
    whose Application turned Degraded after); without envman's record, Argo CD's last."""
    good = [spec.id for spec in synced_specs(obj)]
    return revision_of(max(good)) if good else (last_revision(obj) or None)


def synced_specs(obj: Obj) -> list[SyncedSpec]:
    """The specs envman synced successfully, oldest first (an unreadable annotation: none)."""
    try:
        entries = json.loads(annotations_of(obj).get(REVISIONS_ANNOTATION) or "[]")
        return [
            SyncedSpec(
                int(e["id"]),
                dict(e["source"]),
                dict(e.get("annotations") or {}),
                str(e.get("syncedAt") or ""),
            )
            for e in entries
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def with_synced(obj: Obj, synced: SyncedSpec) -> str:
    """The revisions annotation after `synced`: the newest 10 (fewer when they would exceed 128 KiB)."""
    earlier = [s for s in synced_specs(obj) if s.id != synced.id]
    kept = [*earlier[-(KEPT_REVISIONS - 1) :], synced]
    while True:
        text = json.dumps([s.to_dict() for s in kept], sort_keys=True, separators=(",", ":"))
        if len(text.encode()) <= KEPT_BYTES or len(kept) == 1:
            return text
        kept = kept[1:]


def synced_spec(obj: Obj, revision: int) -> SyncedSpec | None:
    """The spec of `revision`: envman's record of it, else Argo CD's history entry."""
    wanted = history_id(revision)
    for spec in synced_specs(obj):
        if spec.id == wanted:
            return spec
    for entry in history_of(obj):
        if int(entry["id"]) == wanted and isinstance(entry.get("source"), Mapping):
            return SyncedSpec(wanted, dict(entry["source"]), {}, str(entry.get("deployedAt") or ""))
    return None
