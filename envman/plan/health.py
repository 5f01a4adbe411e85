"""Workload health judged from live objects as the API server returns them (pure).

A release's workloads are the Deployments, StatefulSets, DaemonSets and Jobs of its
manifest. Healthy means rolled out and available: the controller has observed the latest
generation, every replica is updated and available, Jobs are complete, and no pod of the
workload waits in CrashLoopBackOff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from envman.plan.manifests import ManifestObject, ObjectRef

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
Obj = Mapping[str, Any]


def workloads(objects: Sequence[ManifestObject]) -> list[ObjectRef]:
    return [o.ref for o in objects if o.ref.kind in WORKLOAD_KINDS]


def workload_problem(ref: ObjectRef, live: Obj | None, pods: Sequence[Obj] = ()) -> str | None:
    """Why the workload is not healthy, or None when it is; `pods` are its namespace's pods."""
    if live is None:
        return f"{_name(ref)}: missing"
    problem = _JUDGES[ref.kind](live)
    if problem is None and ref.kind != "Job":
        problem = crashlooping(live, pods)
    return f"{_name(ref)}: {problem}" if problem else None


def _name(ref: ObjectRef) -> str:
    return f"{ref.kind.lower()} {ref.namespace}/{ref.name}"


def _generation_problem(obj: Obj) -> str | None:
    observed = (obj.get("status") or {}).get("observedGeneration") or 0
    generation = (obj.get("metadata") or {}).get("generation") or 0
    if observed < generation:
        return f"generation {generation} not yet observed (at {observed})"
    return None


def _replicas(obj: Obj) -> int:
    wanted = (obj.get("spec") or {}).get("replicas")
    return 1 if wanted is None else int(wanted)


def _deployment(obj: Obj) -> str | None:
    want, status = _replicas(obj), obj.get("status") or {}
    updated, available = status.get("updatedReplicas") or 0, status.get("availableReplicas") or 0
    if (problem := _generation_problem(obj)) is not None:
        return problem
    if updated < want:
        return f"{updated}/{want} replicas updated"
    if available < want:
        return f"{available}/{want} replicas available"
    return None


def _statefulset(obj: Obj) -> str | None:
    want, status = _replicas(obj), obj.get("status") or {}
    if (problem := _generation_problem(obj)) is not None:
        return problem
    updated = status.get("updatedReplicas") or 0
    if updated < want and status.get("currentRevision") != status.get("updateRevision"):
        return f"{updated}/{want} replicas updated"
    if (status.get("readyReplicas") or 0) < want:
        return f"{status.get('readyReplicas') or 0}/{want} replicas ready"
    return None


def _daemonset(obj: Obj) -> str | None:
    status = obj.get("status") or {}
    want = status.get("desiredNumberScheduled") or 0
    if (problem := _generation_problem(obj)) is not None:
        return problem
    if (status.get("updatedNumberScheduled") or 0) < want:
        return f"{status.get('updatedNumberScheduled') or 0}/{want} pods updated"
    if (status.get("numberAvailable") or 0) < want:
        return f"{status.get('numberAvailable') or 0}/{want} pods available"
    return None


def _job(obj: Obj) -> str | None:
    status = obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    if "Failed" in conditions:
        failed = conditions["Failed"]
        return f"failed: {failed.get('reason') or failed.get('message') or 'no reason given'}"
    if "Complete" not in conditions:
        return f"not complete ({status.get('succeeded') or 0} succeeded)"
    return None


_JUDGES: dict[str, Callable[[Obj], str | None]] = {
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "Job": _job,
}


def crashlooping(workload: Obj, pods: Sequence[Obj]) -> str | None:
    """A pod of `workload` (by its selector's matchLabels) waiting in CrashLoopBackOff."""
    wanted = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not wanted:
        return None
    for pod in pods:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        if all(labels.get(k) == v for k, v in wanted.items()) and "CrashLoopBackOff" in _waiting(pod):
            return f"pod {(pod.get('metadata') or {}).get('name', '?')} is in CrashLoopBackOff"
    return None


def _waiting(pod: Obj) -> Iterator[str]:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        reason = ((status.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            yield str(reason)
