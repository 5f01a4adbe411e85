"""What envman reads back from an Application on the hub (pure): the release as the plan
compares it (`live_release`), the objects Argo CD finds out of sync (`reported_drift`), its
health and its history (with the specs envman recorded, `revisions`).

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
from collections.abc import Mapping
from dataclasses import replace
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
from envman.plan.argocd.revisions import (
    annotations_of,
    good_revision,
    history_of,
    last_revision,
    revision_of,
    synced_specs,
)
from envman.plan.cluster_state import APP_LABEL, ENV_LABEL, MANAGED_BY_ENVMAN, LiveRelease
from envman.plan.cluster_state import MANAGED_BY as RELEASE_MANAGED_BY
from envman.plan.drift import MISSING, MODIFIED, ObjectDrift
from envman.plan.manifests import ObjectRef

Obj = Mapping[str, Any]
RUNNING_PHASES = frozenset({"Running", "Terminating"})
FAILED_PHASES = frozenset({"Failed", "Error"})
OUT_OF_SYNC = "out-of-sync"


def _meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _status(obj: Obj) -> Mapping[str, Any]:
    return obj.get("status") or {}


def source_of(obj: Obj) -> Mapping[str, Any]:
    return (obj.get("spec") or {}).get("source") or {}


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
    """(namespace, release) of the Application's release."""
    helm = source_of(obj).get("helm") or {}
    destination = (obj.get("spec") or {}).get("destination") or {}
    return str(destination.get("namespace") or ""), str(
        helm.get("releaseName") or _meta(obj).get("name") or ""
    )


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
