"""Argo CD's health checks (gitops-engine `pkg/health`), as plain functions of a live object.

A kind without a check has no health (None), as in Argo CD: a ConfigMap or a Secret does not
count towards an Application's health.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

HEALTHY, SUSPENDED, PROGRESSING, MISSING, DEGRADED, UNKNOWN = (
    "Healthy",
    "Suspended",
    "Progressing",
    "Missing",
    "Degraded",
    "Unknown",
)
ORDER = (HEALTHY, SUSPENDED, PROGRESSING, MISSING, DEGRADED, UNKNOWN)
"""From most to least healthy (gitops-engine's `healthOrder`)."""


@dataclass(frozen=True)
class Health:
    status: str
    message: str = ""

    def doc(self) -> Obj:
        return {"status": self.status, **({"message": self.message} if self.message else {})}


def worse(a: Health, b: Health) -> Health:
    """The less healthy of two (the first on a tie)."""
    return b if ORDER.index(b.status) > ORDER.index(a.status) else a


def worst(healths: Iterable[Health]) -> Health:
    result = Health(HEALTHY)
    for health in healths:
        result = worse(result, health)
    return result


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _generation(obj: Obj) -> int:
    return int(obj["metadata"].get("generation") or 0)


def _replicas(obj: Obj) -> int | None:
    value = (obj.get("spec") or {}).get("replicas", 1)
    return None if value is None else int(value)


def _condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in _status(obj).get("conditions") or [] if c.get("type") == kind), None)


def deployment(obj: Obj) -> Health:  # noqa: PLR0911 (one return per case of gitops-engine's check)
    status, name = _status(obj), obj["metadata"]["name"]
    if (obj.get("spec") or {}).get("paused"):
        return Health(SUSPENDED, "Deployment is paused")
    if _generation(obj) > int(status.get("observedGeneration") or 0):
        return Health(
            PROGRESSING,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        )
    progressing = _condition(obj, "Progressing")
    replicas = _replicas(obj)
    updated, total = int(status.get("updatedReplicas") or 0), int(status.get("replicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(DEGRADED, f'Deployment "{name}" exceeded its progress deadline')
    if replicas is not None and updated < replicas:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated...",
        )
    if total > updated:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {total - updated} old replicas are pending termination...",
        )
    if available < updated:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are available...",
        )
    return Health(HEALTHY)


def statefulset(obj: Obj) -> Health:  # noqa: PLR0911 (as gitops-engine's check)
    status, spec = _status(obj), obj.get("spec") or {}
    observed = int(status.get("observedGeneration") or 0)
    if observed == 0 or _generation(obj) > observed:
        return Health(PROGRESSING, "Waiting for statefulset spec update to be observed...")
    replicas, ready = _replicas(obj), int(status.get("readyReplicas") or 0)
    if replicas is not None and ready < replicas:
        return Health(PROGRESSING, f"Waiting for {replicas - ready} pods to be ready...")
    strategy = spec.get("updateStrategy") or {}
    updated = int(status.get("updatedReplicas") or 0)
    partition = (strategy.get("rollingUpdate") or {}).get("partition")
    if strategy.get("type", "RollingUpdate") == "RollingUpdate" and strategy.get("rollingUpdate") is not None:
        if replicas is not None and partition is not None and updated < replicas - int(partition):
            return Health(
                PROGRESSING,
                f"Waiting for partitioned roll out to finish: {updated} out of "
                f"{replicas - int(partition)} new pods have been updated...",
            )
        return Health(HEALTHY, f"partitioned roll out complete: {updated} new pods have been updated...")
    if strategy.get("type") == "OnDelete":
        return Health(HEALTHY, f"statefulset has {ready} ready pods")
    current, update = status.get("currentRevision"), status.get("updateRevision")
    if update != current:
        return Health(
            PROGRESSING,
            f"waiting for statefulset rolling update to complete {updated} pods at revision {update}...",
        )
    return Health(
        HEALTHY,
        f"statefulset rolling update complete {int(status.get('currentReplicas') or 0)} pods "
        f"at revision {current}...",
    )


def daemonset(obj: Obj) -> Health:
    status, name = _status(obj), obj["metadata"]["name"]
    if _generation(obj) > int(status.get("observedGeneration") or 0):
        return Health(
            PROGRESSING,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        )
    desired = int(status.get("desiredNumberScheduled") or 0)
    updated = int(status.get("updatedNumberScheduled") or 0)
    if ((obj.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete":
        return Health(HEALTHY, f"daemon set {updated} out of {desired} new pods have been updated")
    if updated < desired:
        return Health(
            PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
            "new pods have been updated...",
        )
    available = int(status.get("numberAvailable") or 0)
    if available < desired:
        return Health(
            PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
            "updated pods are available...",
        )
    return Health(HEALTHY)


def replicaset(obj: Obj) -> Health:
    status = _status(obj)
    if _generation(obj) > int(status.get("observedGeneration") or 0):
        return Health(
            PROGRESSING,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        )
    failure = _condition(obj, "ReplicaFailure")
    if failure is not None and failure.get("status") == "True":
        return Health(DEGRADED, str(failure.get("message") or ""))
    replicas, available = _replicas(obj), int(status.get("availableReplicas") or 0)
    if replicas is not None and available < replicas:
        return Health(
            PROGRESSING,
            f"Waiting for rollout to finish: {available} out of {replicas} new replicas are available...",
        )
    return Health(HEALTHY)


def _waiting_failure(reason: str) -> bool:
    return reason.startswith("Err") or reason.endswith("Error") or reason.endswith("BackOff")


def _terminated_message(container: Obj) -> str:
    ended = (container.get("state") or {}).get("terminated")
    if not ended:
        return ""
    if ended.get("message"):
        return str(ended["message"])
    if ended.get("reason") == "OOMKilled":
        return "OOMKilled"
    code = int(ended.get("exitCode") or 0)
    return f'container "{container.get("name")}" failed with exit code {code}' if code else ""


def pod(obj: Obj) -> Health:  # noqa: PLR0911 (as gitops-engine's check)
    status, restart = _status(obj), (obj.get("spec") or {}).get("restartPolicy", "Always")
    containers = status.get("containerStatuses") or []
    message = str(status.get("message") or "")
    if restart == "Always":
        waiting = [(c.get("state") or {}).get("waiting") or {} for c in containers]
        failing = [w for w in waiting if _waiting_failure(str(w.get("reason") or ""))]
        if failing:
            return Health(DEGRADED, ", ".join(str(w.get("message") or "") for w in failing))
    phase = status.get("phase")
    if phase == "Pending":
        return Health(PROGRESSING, message)
    if phase == "Succeeded":
        return Health(HEALTHY, message)
    if phase == "Failed":
        every = [*(status.get("initContainerStatuses") or []), *containers]
        found = message or next((m for m in map(_terminated_message, every) if m), "")
        return Health(DEGRADED, found)
    if phase == "Running" and restart == "Always":
        ready = _condition(obj, "Ready")
        if ready is not None and ready.get("status") == "True":
            return Health(HEALTHY, message)
        if any((c.get("lastState") or {}).get("terminated") for c in containers):
            return Health(DEGRADED, message)
        return Health(PROGRESSING, message)
    if phase == "Running":
        return Health(PROGRESSING, message)
    return Health(UNKNOWN, message)


def job(obj: Obj) -> Health:
    failed = complete = suspended = False
    message = fail_message = ""
    for condition in _status(obj).get("conditions") or []:
        kind = condition.get("type")
        if kind == "Failed":
            failed = complete = True
            fail_message = str(condition.get("message") or "")
        elif kind in ("Complete", "Suspended"):
            complete = True
            message = str(condition.get("message") or "")
            suspended = suspended or (kind == "Suspended" and condition.get("status") == "True")
    if not complete:
        return Health(PROGRESSING, message)
    if failed:
        return Health(DEGRADED, fail_message)
    if suspended:
        return Health(SUSPENDED, fail_message)
    return Health(HEALTHY, message)


def service(obj: Obj) -> Health:
    if (obj.get("spec") or {}).get("type") == "LoadBalancer":
        return _load_balanced(obj)
    return Health(HEALTHY)


def _load_balanced(obj: Obj) -> Health:
    published = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    return Health(HEALTHY if published else PROGRESSING)


def claim(obj: Obj) -> Health:
    phase = _status(obj).get("phase")
    return Health({"Lost": DEGRADED, "Pending": PROGRESSING, "Bound": HEALTHY}.get(str(phase), UNKNOWN))


CHECKS: dict[tuple[str, str], Callable[[Obj], Health]] = {
    ("apps", "Deployment"): deployment,
    ("apps", "StatefulSet"): statefulset,
    ("apps", "ReplicaSet"): replicaset,
    ("apps", "DaemonSet"): daemonset,
    ("networking.k8s.io", "Ingress"): _load_balanced,
    ("extensions", "Ingress"): _load_balanced,
    ("", "Service"): service,
    ("", "PersistentVolumeClaim"): claim,
    ("", "Pod"): pod,
    ("batch", "Job"): job,
}


def group_of(obj: Obj) -> str:
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rpartition("/")[0]


def health_of(obj: Obj) -> Health | None:
    """The health of a live object, None for a kind Argo CD has no check for."""
    if obj["metadata"].get("deletionTimestamp"):
        return Health(PROGRESSING, "Pending deletion")
    check = CHECKS.get((group_of(obj), str(obj.get("kind"))))
    return check(obj) if check else None
