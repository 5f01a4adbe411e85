"""What envman reads back from an Application on the hub (pure): the release as the plan
compares it (`live_release`), the objects Argo CD finds out of sync (`reported_drift`), its
health, its history, and the specs envman synced (`synced_specs`, kept in an annotation).

The live release is the Application's spec (chart, version, values) with a helm-like status:
`deployed` after a successful sync, `failed` after a failed one (or one envman started
that never got Healthy: Argo CD records a sync in its history once applied), `pending-install` /
`pending-upgrade` while an operation runs (and `pending-install` for an Application never
synced successfully: undoing it deletes it), `out-of-sync` when Argo CD compares the spec as
different from what runs without naming an object, or compared an older spec. Its revision
counts from 1 as helm's do: revision N is Argo CD's history id N-1 (Argo CD counts from 0),
of the last successful sync (0: none).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import yaml

from envman.plan.argocd.applications import (
    CARRIED,
    MANAGED_BY,
    MANAGER,
    REVISIONS_ANNOTATION,
    VERSION_ANNOTATION,
)
from envman.plan.cluster_state import APP_LABEL, ENV_LABEL, MANAGED_BY_ENVMAN, LiveRelease
from envman.plan.cluster_state import MANAGED_BY as RELEASE_MANAGED_BY
from envman.plan.drift import MISSING, MODIFIED, ObjectDrift
from envman.plan.manifests import ObjectRef

Obj = Mapping[str, Any]
RUNNING_PHASES = frozenset({"Running", "Terminating"})
FAILED_PHASES = frozenset({"Failed", "Error"})
OUT_OF_SYNC = "out-of-sync"
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


def _meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _status(obj: Obj) -> Mapping[str, Any]:
    return obj.get("status") or {}


def source_of(obj: Obj) -> Mapping[str, Any]:
    return (obj.get("spec") or {}).get("source") or {}


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return _meta(obj).get("annotations") or {}


def history_of(obj: Obj) -> list[Mapping[str, Any]]:
    """Argo CD's history of successful syncs, oldest first."""
    entries = [e for e in _status(obj).get("history") or [] if isinstance(e.get("id"), int)]
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


def operation_running(obj: Obj) -> bool:
    """A sync is requested or under way."""
    phase = (_status(obj).get("operationState") or {}).get("phase")
    return bool(obj.get("operation")) or phase in RUNNING_PHASES


def values_of(source: Mapping[str, Any]) -> dict[str, Any]:
    """The helm values of a source: `valuesObject`, else the `values` YAML text."""
    helm = source.get("helm") or {}
    if isinstance(helm.get("valuesObject"), Mapping):
        plain: dict[str, Any] = json.loads(json.dumps(helm["valuesObject"]))
        return plain
    try:
        loaded = yaml.safe_load(helm.get("values") or "") if isinstance(helm.get("values"), str) else None
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def chart_of(source: Mapping[str, Any]) -> str:
    return str(source.get("chart") or posixpath.basename(str(source.get("path") or "")))


def live_release(obj: Obj) -> LiveRelease:
    """The release the Application describes, as the plan compares it."""
    source = source_of(obj)
    annotations = annotations_of(obj)
    return _release(obj, source, annotations, last_revision(obj), live_status(obj))


def _release(
    obj: Obj, source: Mapping[str, Any], annotations: Mapping[str, str], revision: int, status: str
) -> LiveRelease:
    meta_labels = _meta(obj).get("labels") or {}
    labels = {k: v for k, v in annotations.items() if k in CARRIED}
    if meta_labels.get(MANAGED_BY) == MANAGER:
        labels[RELEASE_MANAGED_BY] = MANAGED_BY_ENVMAN
    for key in (ENV_LABEL, APP_LABEL):
        if key in meta_labels:
            labels[key] = str(meta_labels[key])
    helm = source.get("helm") or {}
    destination = (obj.get("spec") or {}).get("destination") or {}
    remote = bool(source.get("chart"))  # a local chart's version is envman's annotation
    version = str(source.get("targetRevision") or "") if remote else annotations.get(VERSION_ANNOTATION, "")
    return LiveRelease(
        name=str(helm.get("releaseName") or _meta(obj).get("name") or ""),
        namespace=str(destination.get("namespace") or ""),
        revision=revision,
        status=status,
        chart_name=chart_of(source),
        chart_version=version,
        values=values_of(source),
        labels=labels,
        updated=_time((_status(obj).get("operationState") or {}).get("finishedAt")),
        deployed_revision=good_revision(obj),
    )


def good_revision(obj: Obj) -> int | None:
    """The last revision envman saw synced and Healthy (Argo CD's history also holds syncs
    whose Application turned Degraded after); without envman's record, Argo CD's last."""
    good = [spec.id for spec in synced_specs(obj)]
    return revision_of(max(good)) if good else (last_revision(obj) or None)


def live_status(obj: Obj) -> str:
    """A helm-like status of the Application (see the module's docstring)."""
    status = _status(obj)
    phase = (status.get("operationState") or {}).get("phase")
    synced_before = bool(history_of(obj))
    if operation_running(obj):
        return "pending-upgrade" if synced_before else "pending-install"
    if not synced_before:
        return "pending-install"
    good = {spec.id for spec in synced_specs(obj)}
    if phase in FAILED_PHASES or (good and int(history_of(obj)[-1]["id"]) not in good):
        return "failed"  # its last sync failed, or envman never saw it Healthy
    sync = status.get("sync") or {}
    compared = (sync.get("comparedTo") or {}).get("source")
    stale = compared is not None and dict(compared) != dict(source_of(obj))
    if stale or (sync.get("status") == "OutOfSync" and not reported_drift(obj)):
        return OUT_OF_SYNC
    return "deployed"


def reported_drift(obj: Obj) -> tuple[ObjectDrift, ...]:
    """Every object Argo CD reports `OutOfSync`: `missing` when it does not exist live."""
    found = []
    for res in _status(obj).get("resources") or []:
        if res.get("status") != "OutOfSync":
            continue
        group, version = str(res.get("group") or ""), str(res.get("version") or "")
        api_version = f"{group}/{version}" if group else version
        ref = ObjectRef(
            api_version,
            str(res.get("kind") or ""),
            str(res.get("namespace") or ""),
            str(res.get("name") or ""),
        )
        missing = (res.get("health") or {}).get("status") == "Missing"
        found.append(ObjectDrift(ref, MISSING if missing else MODIFIED))
    return tuple(sorted(found, key=lambda d: d.ref))


def health_of(obj: Obj) -> str:
    """The Application's health status (`Unknown` before Argo CD judged it)."""
    return str((_status(obj).get("health") or {}).get("status") or "Unknown")


def health_problems(obj: Obj) -> tuple[str, ...]:
    """What is unhealthy: the Application's health and its unhealthy resources (none when Healthy)."""
    health = _status(obj).get("health") or {}
    state = health_of(obj)
    if state == "Healthy":
        return ()
    problems = [f"{state}" + (f": {health['message']}" if health.get("message") else "")]
    for res in _status(obj).get("resources") or []:
        res_health = res.get("health") or {}
        if res_health.get("status") not in (None, "Healthy"):
            where = f"{res.get('kind')} {res.get('namespace') or ''}/{res.get('name')}".replace(" /", " ")
            message = f": {res_health['message']}" if res_health.get("message") else ""
            problems.append(f"{where}: {res_health['status']}{message}")
    return tuple(problems)


def degraded_text(obj: Obj) -> str:
    """Why the Application is Degraded: its health message and its Degraded resources."""
    problems = health_problems(obj)
    degraded = [p for p in problems[1:] if ": Degraded" in p]
    return "; ".join([problems[0] if problems else "Degraded", *degraded])


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


def history(obj: Obj) -> list[LiveRelease]:
    """Every revision Argo CD holds of the Application, oldest first, with envman's record of
    each (commit, chart version) where it has one; the last carries the live status."""
    recorded = {s.id: s for s in synced_specs(obj)}
    entries = history_of(obj)
    found = []
    for index, entry in enumerate(entries):
        spec = recorded.get(int(entry["id"]))
        source = spec.source if spec is not None else entry.get("source") or {}
        annotations = spec.annotations if spec is not None else {}
        status = live_status(obj) if index == len(entries) - 1 else "superseded"
        release = _release(obj, source, annotations, revision_of(int(entry["id"])), status)
        found.append(replace(release, updated=_time(entry.get("deployedAt"))))
    return found


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def release_key(obj: Obj) -> tuple[str, str]:
    release = live_release(obj)
    return release.namespace, release.name


def by_release(objs: Sequence[Obj]) -> dict[tuple[str, str], Obj]:
    return {release_key(o): o for o in objs}


def comparable(obj: Obj) -> dict[str, Any]:
    """What envman sets of an Application (for `diff`): no status, no server fields, no
    record of earlier revisions."""
    meta = _meta(obj)
    annotations = {k: v for k, v in annotations_of(obj).items() if k != REVISIONS_ANNOTATION}
    return {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "labels": dict(meta.get("labels") or {}),
            "annotations": annotations,
        },
        "spec": dict(obj.get("spec") or {}),
    }


def as_yaml(obj: Obj) -> str:
    """An Application as a YAML document, as `diff` compares it."""
    text: str = yaml.safe_dump(comparable(obj), sort_keys=False, width=10_000)
    return text
