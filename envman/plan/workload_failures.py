"""Fail fast: a definitive failure of a release's new pods, Jobs and Deployments, judged from
live objects as the API server returns them (pure; README, Sync: fails fast).

Definitive: a container waiting in ImagePullBackOff, ErrImagePull, InvalidImageName,
CreateContainerConfigError or CreateContainerError; a container in CrashLoopBackOff or
restarted more than `restarts` times; a Job with a `Failed` condition; a Deployment whose
`Progressing` condition is False (ProgressDeadlineExceeded); a pod unschedulable for longer
than `unschedulable_seconds`. A pod that is merely not ready has no definitive reason: helm's
timeout decides.

A release's objects are those helm labels or annotates as its own (the workloads carry
`meta.helm.sh/release-name`, hook Jobs and test pods the chart's `app.kubernetes.io/instance`
label) and what they own (ReplicaSets, pods), created since the helm call started: pods of
an older template are not this upgrade's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Obj = Mapping[str, Any]

WAITING_FAILURES = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)
RELEASE_ANNOTATION = "meta.helm.sh/release-name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
SERVING_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class FailFastSettings:
    restarts: int = 2
    unschedulable_seconds: float = 120.0


@dataclass(frozen=True)
class WorkloadFailure:
    """Why a release failed: the reason as Kubernetes spells it, where, and its message."""

    reason: str
    message: str
    pod: str | None = None
    container: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            w for w in (self.pod and f"pod {self.pod}", self.container and f"container {self.container}") if w
        )
        return (
            f"{self.reason}"
            + (f" ({where})" if where else "")
            + (f": {self.message}" if self.message else "")
        )

    def to_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason, "pod": self.pod, "container": self.container, "message": self.message}


@dataclass
class ReleaseObjects:
    """The objects of one release that its running helm call created or changed."""

    pods: list[Obj] = field(default_factory=list)
    jobs: list[Obj] = field(default_factory=list)
    workloads: list[Obj] = field(default_factory=list)
    """Its Deployments, StatefulSets and DaemonSets (whatever their age)."""


def release_objects(
    release: str, namespace_objects: Sequence[Obj], since: datetime, application: str | None = None
) -> ReleaseObjects:
    """The objects of `release` among one namespace's pods, Jobs, ReplicaSets and workloads;
    pods and Jobs only when created at or after `since` (second resolution, as the API's).
    With the argocd engine, `application` names the Argo CD Application that tracks them
    (Argo CD renders without helm's release annotation)."""
    by_uid = {_meta(o).get("uid"): o for o in namespace_objects}
    found = ReleaseObjects()
    cutoff = since.replace(microsecond=0)
    for obj in namespace_objects:
        if not _belongs(obj, release, by_uid, application):
            continue
        kind = obj.get("kind")
        if kind in SERVING_KINDS:
            found.workloads.append(obj)
        elif kind in ("Pod", "Job") and (_created(obj) or cutoff) >= cutoff:
            (found.pods if kind == "Pod" else found.jobs).append(obj)
    return found


def first_failure(
    objects: ReleaseObjects, now: datetime, settings: FailFastSettings
) -> WorkloadFailure | None:
    """The first definitive failure among `objects`, or None."""
    for job in objects.jobs:
        if (failure := _job_failure(job, objects.pods)) is not None:
            return failure
    for pod in objects.pods:
        if (failure := _pod_failure(pod, now, settings)) is not None:
            return failure
    for workload in objects.workloads:
        progressing = _condition(workload, "Progressing")
        if progressing is not None and progressing.get("status") == "False":
            name = _meta(workload).get("name")
            reason = str(progressing.get("reason") or "ProgressDeadlineExceeded")
            return WorkloadFailure(reason, f"deployment {name}: {progressing.get('message') or ''}".strip())
    return None


def ready_text(objects: ReleaseObjects) -> str | None:
    """`2/3 ready` for the release's serving workloads, counting the ready pods of their new
    template only (the old ones a rolling update keeps are not this upgrade's), with why the
    new pods that are not ready wait."""
    wanted = sum(_replicas(w) for w in objects.workloads)
    if not wanted:
        return None
    ready = sum(_new_ready(w) for w in objects.workloads)
    text = f"{ready}/{wanted} ready"
    pods = [p for p in objects.pods if not _owned_by_job(p) and not _is_ready(p)]
    waiting = sorted({reason for pod in pods for reason in _waiting_reasons(pod)})
    if waiting:
        text += f" (new pods {', '.join(waiting)}: no definitive failure, helm's timeout decides)"
    return text


def _new_ready(obj: Obj) -> int:
    """The ready pods of a workload's current template: its ready pods less the old ones
    (a rolling update keeps old pods ready until new ones are); 0 while its controller has not
    seen the new spec. Without an `updated` count in its status: all its ready pods."""
    status = obj.get("status") or {}
    if int(status.get("observedGeneration") or 0) < int(_meta(obj).get("generation") or 0):
        return 0
    daemon = obj.get("kind") == "DaemonSet"
    updated = status.get("updatedNumberScheduled" if daemon else "updatedReplicas")
    ready = _ready_replicas(obj)
    if updated is None:
        return ready
    total = int(status.get("currentNumberScheduled" if daemon else "replicas") or 0)
    old = max(total - int(updated), 0)
    return max(0, min(ready - old, int(updated)))


def _pod_failure(pod: Obj, now: datetime, settings: FailFastSettings) -> WorkloadFailure | None:
    name = _meta(pod).get("name")
    for container in _container_statuses(pod):
        cname = container.get("name")
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in WAITING_FAILURES or reason == "CrashLoopBackOff":
            return WorkloadFailure(str(reason), _with_exit(waiting.get("message"), container), name, cname)
        restarts = int(container.get("restartCount") or 0)
        if restarts > settings.restarts:
            message = _with_exit(f"restarted {restarts} times", container)
            return WorkloadFailure("RestartedTooOften", message, name, cname)
    scheduled = _condition(pod, "PodScheduled")
    if (
        scheduled is not None
        and scheduled.get("status") == "False"
        and scheduled.get("reason") == "Unschedulable"
    ):
        since = _timestamp(scheduled.get("lastTransitionTime"))
        if since is not None and (now - since).total_seconds() >= settings.unschedulable_seconds:
            return WorkloadFailure("Unschedulable", str(scheduled.get("message") or ""), name)
    return None


def _job_failure(job: Obj, pods: Sequence[Obj]) -> WorkloadFailure | None:
    failed = _condition(job, "Failed")
    if failed is None or failed.get("status") != "True":
        return None
    name = _meta(job).get("name")
    message = f"job {name}: {failed.get('message') or 'failed'}"
    pod, container = _last_failed_pod(job, pods)
    cname = None
    if container is not None:
        message, cname = _with_exit(message, container), str(container.get("name"))
    return WorkloadFailure(str(failed.get("reason") or "Failed"), message, pod, cname)


def _last_failed_pod(job: Obj, pods: Sequence[Obj]) -> tuple[str | None, Obj | None]:
    uid = _meta(job).get("uid")
    mine = [p for p in pods if any(r.get("uid") == uid for r in _meta(p).get("ownerReferences") or [])]
    for pod in sorted(mine, key=lambda p: str(_meta(p).get("creationTimestamp")), reverse=True):
        for container in _container_statuses(pod):
            if (container.get("state") or {}).get("terminated"):
                return _meta(pod).get("name"), container
    return None, None


def _with_exit(message: object, container: Obj) -> str:
    terminated = (container.get("state") or {}).get("terminated") or (container.get("lastState") or {}).get(
        "terminated"
    )
    text = str(message or "")
    if terminated:
        exit_text = f"last exit code {terminated.get('exitCode')} ({terminated.get('reason') or 'no reason'})"
        text = f"{text}; {exit_text}" if text else exit_text
    return text


def _belongs(
    obj: Obj, release: str, by_uid: Mapping[Any, Obj], application: str | None = None, depth: int = 0
) -> bool:
    meta = _meta(obj)
    if (meta.get("annotations") or {}).get(RELEASE_ANNOTATION) == release:
        return True
    if application is not None and _tracked_by(meta, application):
        return True
    if (meta.get("labels") or {}).get(INSTANCE_LABEL) == release and obj.get("kind") in ("Pod", "Job"):
        return True
    if depth > 3:
        return False
    owners = (by_uid.get(ref.get("uid")) for ref in meta.get("ownerReferences") or [])
    return any(
        owner is not None and _belongs(owner, release, by_uid, application, depth + 1) for owner in owners
    )


def _tracked_by(meta: Mapping[str, Any], application: str) -> bool:
    """Argo CD tracks the object for `application`: its label (label tracking) or its
    annotation (annotation tracking, `<application>:<group>/<kind>:<namespace>/<name>`)."""
    tracking = str((meta.get("annotations") or {}).get(TRACKING_ANNOTATION) or "")
    return (meta.get("labels") or {}).get(INSTANCE_LABEL) == application or tracking.startswith(
        application + ":"
    )


def _owned_by_job(pod: Obj) -> bool:
    return any(ref.get("kind") == "Job" for ref in _meta(pod).get("ownerReferences") or [])


def _container_statuses(pod: Obj) -> Iterator[Obj]:
    status = pod.get("status") or {}
    yield from status.get("initContainerStatuses") or []
    yield from status.get("containerStatuses") or []


def _waiting_reasons(pod: Obj) -> Iterator[str]:
    scheduled = _condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        yield str(scheduled.get("reason") or "not scheduled")
        return
    for container in _container_statuses(pod):
        waiting = (container.get("state") or {}).get("waiting")
        if waiting:
            yield str(waiting.get("reason") or "waiting")
        elif not container.get("ready"):
            yield "not ready"


def _is_ready(pod: Obj) -> bool:
    ready = _condition(pod, "Ready")
    return ready is not None and ready.get("status") == "True"


def _condition(obj: Obj, kind: str) -> Obj | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == kind), None)


def _replicas(obj: Obj) -> int:
    if obj.get("kind") == "DaemonSet":
        return int((obj.get("status") or {}).get("desiredNumberScheduled") or 0)
    wanted = (obj.get("spec") or {}).get("replicas")
    return 1 if wanted is None else int(wanted)


def _ready_replicas(obj: Obj) -> int:
    status = obj.get("status") or {}
    return int(status.get("numberReady" if obj.get("kind") == "DaemonSet" else "readyReplicas") or 0)


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def _created(obj: Obj) -> datetime | None:
    return _timestamp(_meta(obj).get("creationTimestamp"))


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
