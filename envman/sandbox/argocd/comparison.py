"""An Application's rendered objects against its live ones: the sync status, `status.resources`,
the health (the worst of its resources, as Argo CD aggregates it) and the images it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envman.sandbox.argocd.compare import in_sync
from envman.sandbox.argocd.destination import Destination, Ident, group_version
from envman.sandbox.argocd.health import DEGRADED, MISSING, Health, health_of, worst
from envman.sandbox.argocd.tasks import is_hook, wave

Obj = dict[str, Any]

SYNCED, OUT_OF_SYNC, UNKNOWN = "Synced", "OutOfSync", "Unknown"
EXCLUDED_KINDS = frozenset(
    {("", "Endpoints"), ("discovery.k8s.io", "EndpointSlice"), ("coordination.k8s.io", "Lease")}
)
"""Argo CD's default `resource.exclusions`: kinds it never tracks, whatever their labels."""
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


@dataclass
class Comparison:
    """What one comparison found."""

    status: str
    resources: list[Obj] = field(default_factory=list)
    health: Health = field(default_factory=lambda: Health(MISSING))
    images: list[str] = field(default_factory=list)
    extra: list[tuple[Ident, Obj]] = field(default_factory=list)
    """Live objects of the Application no longer rendered (they require pruning)."""


def managed(destination: Destination, idents: set[Ident]) -> dict[Ident, Obj]:
    """The live objects an Application manages: tracked, top-level (no owner), not hooks,
    not of an excluded kind."""
    found: dict[Ident, Obj] = {}
    for ident in sorted(idents):
        live = destination.get_ident(ident)
        if live is None or live["metadata"].get("ownerReferences") or is_hook(live):
            continue
        if (group_version(live)[0], live.get("kind")) in EXCLUDED_KINDS:
            continue
        found[ident] = live
    return found


def _entry(obj: Obj, status: str, health: Health | None) -> Obj:
    group, version = group_version(obj)
    meta = obj["metadata"]
    doc: Obj = {
        "group": group,
        "version": version,
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "status": status,
    }
    if health is not None:
        doc["health"] = health.doc()
    if wave(obj):
        doc["syncWave"] = wave(obj)
    return doc


def compare(
    targets: list[Obj], destination: Destination, idents: set[Ident], *, pod_health: bool
) -> Comparison:
    """Compare the rendered (non-hook) `targets` with the live objects `idents` names."""
    live = managed(destination, idents)
    result = Comparison(SYNCED)
    healths: list[Health] = []
    seen: set[Ident] = set()
    for target in targets:
        ident = destination.ident(target)
        current = destination.get_ident(ident) if ident else None
        seen |= {ident} if ident else set()
        status = SYNCED if in_sync(target, current) else OUT_OF_SYNC
        health = health_of(current) if current is not None else Health(MISSING)
        result.resources.append(_entry(target, status, health))
        if current is not None and health is not None:
            healths.append(health)
    for ident, obj in live.items():
        if ident in seen:
            continue
        health = health_of(obj)
        result.resources.append({**_entry(obj, OUT_OF_SYNC, health), "requiresPruning": True})
        result.extra.append((ident, obj))
        healths += [health] if health else []
    if any(r["status"] == OUT_OF_SYNC for r in result.resources):
        result.status = OUT_OF_SYNC
    workloads = list(live.values())
    if pod_health:
        pods = map(health_of, _pods_of(destination, workloads))
        healths += [h for h in pods if h and h.status == DEGRADED]
    result.health = worst(healths) if (workloads or not targets) else Health(MISSING)
    result.images = _images(workloads)
    result.resources.sort(key=lambda r: (r["group"], r["kind"], r["namespace"], r["name"]))
    return result


def _pods_of(destination: Destination, workloads: list[Obj]) -> list[Obj]:
    """The pods the Application's workloads run (through their ReplicaSets)."""
    owners = {w["metadata"]["uid"] for w in workloads if w.get("kind") in _WORKLOADS}
    namespaces = {str(w["metadata"].get("namespace") or "") for w in workloads if w.get("kind") in _WORKLOADS}
    store = destination.api.store
    pods: list[Obj] = []
    for namespace in sorted(namespaces):
        for rs in store.items("apps/replicasets", namespace):
            if _owned_by(rs, owners):
                owners.add(rs["metadata"]["uid"])
        for pod in store.items("/pods", namespace):
            if _owned_by(pod, owners):
                pod.update(apiVersion="v1", kind="Pod")
                pods.append(pod)
    return pods


def _owned_by(obj: Obj, owners: set[str]) -> bool:
    return any(ref.get("uid") in owners for ref in obj["metadata"].get("ownerReferences") or [])


def _images(objects: list[Obj]) -> list[str]:
    images: set[str] = set()
    for obj in objects:
        spec = obj.get("spec") or {}
        pod_spec = (spec.get("template") or {}).get("spec") or (spec if obj.get("kind") == "Pod" else {})
        if obj.get("kind") == "CronJob":
            pod_spec = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get(
                "spec"
            ) or {}
        for container in [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]:
            if container.get("image"):
                images.add(str(container["image"]))
    return sorted(images)
