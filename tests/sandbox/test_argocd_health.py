"""The hub's health checks follow gitops-engine's: workloads Progressing until updated and
available, Degraded past a Deployment's progress deadline, failing pods and Jobs Degraded,
kinds without a check counting for nothing; an Application is as healthy as its worst."""

from __future__ import annotations

from typing import Any

import pytest

from envman.sandbox.argocd.health import Health, health_of, worst

Obj = dict[str, Any]


def _obj(
    api_version: str, kind: str, spec: Obj | None = None, status: Obj | None = None, generation: int = 2
) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "web", "generation": generation},
        "spec": spec or {},
        "status": status or {},
    }


def _deployment(**status: Any) -> Obj:
    return _obj("apps/v1", "Deployment", {"replicas": 2}, {"observedGeneration": 2, **status})


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            _obj("apps/v1", "Deployment", {"replicas": 2}, {"observedGeneration": 1}),
            Health(
                "Progressing",
                "Waiting for rollout to finish: observed deployment generation less than desired generation",
            ),
        ),
        (
            _deployment(updatedReplicas=1, replicas=2),
            Health(
                "Progressing", "Waiting for rollout to finish: 1 out of 2 new replicas have been updated..."
            ),
        ),
        (
            _deployment(updatedReplicas=2, replicas=3),
            Health("Progressing", "Waiting for rollout to finish: 1 old replicas are pending termination..."),
        ),
        (
            _deployment(updatedReplicas=2, replicas=2, availableReplicas=1),
            Health("Progressing", "Waiting for rollout to finish: 1 of 2 updated replicas are available..."),
        ),
        (_deployment(updatedReplicas=2, replicas=2, availableReplicas=2), Health("Healthy")),
        (
            _deployment(conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]),
            Health("Degraded", 'Deployment "web" exceeded its progress deadline'),
        ),
        (_obj("apps/v1", "Deployment", {"paused": True}), Health("Suspended", "Deployment is paused")),
    ],
)
def test_deployments(obj: Obj, expected: Health) -> None:
    assert health_of(obj) == expected


def test_statefulsets_and_daemonsets() -> None:
    sts = _obj("apps/v1", "StatefulSet", {"replicas": 2}, {"observedGeneration": 2, "readyReplicas": 1})
    assert health_of(sts) == Health("Progressing", "Waiting for 1 pods to be ready...")
    sts["status"].update(readyReplicas=2, currentRevision="a", updateRevision="b", updatedReplicas=1)
    assert health_of(sts) == Health(
        "Progressing", "waiting for statefulset rolling update to complete 1 pods at revision b..."
    )
    sts["status"].update(currentRevision="b", currentReplicas=2)
    assert health_of(sts) == Health("Healthy", "statefulset rolling update complete 2 pods at revision b...")
    ds = _obj(
        "apps/v1",
        "DaemonSet",
        {},
        {"observedGeneration": 2, "desiredNumberScheduled": 1, "updatedNumberScheduled": 1},
    )
    assert health_of(ds) == Health(
        "Progressing", 'Waiting for daemon set "web" rollout to finish: 0 of 1 updated pods are available...'
    )
    ds["status"]["numberAvailable"] = 1
    assert health_of(ds) == Health("Healthy")


def _pod(restart: str, **status: Any) -> Obj:
    return _obj("v1", "Pod", {"restartPolicy": restart}, status)


def test_pods() -> None:
    pulling = {
        "state": {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "x:9"'}}
    }
    assert health_of(_pod("Always", phase="Pending", containerStatuses=[pulling])) == Health(
        "Degraded", 'Back-off pulling image "x:9"'
    )
    crashing = {"state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}
    assert health_of(_pod("Always", phase="Running", containerStatuses=[crashing])).status == "Degraded"
    # a hook-like pod (restartPolicy Never) waits instead of failing the sync early, as in Argo CD
    assert health_of(_pod("Never", phase="Pending", containerStatuses=[pulling])) == Health("Progressing")
    ready = {"conditions": [{"type": "Ready", "status": "True"}]}
    assert health_of(_pod("Always", phase="Running", **ready)) == Health("Healthy")
    exited = {"name": "api", "state": {"terminated": {"exitCode": 2}}}
    assert health_of(_pod("Never", phase="Failed", containerStatuses=[exited])) == Health(
        "Degraded", 'container "api" failed with exit code 2'
    )


def test_jobs_services_claims_and_kinds_without_a_check() -> None:
    failed = {
        "conditions": [
            {"type": "Failed", "status": "True", "message": "Job has reached the specified backoff limit"}
        ]
    }
    assert health_of(_obj("batch/v1", "Job", {}, failed)) == Health(
        "Degraded", "Job has reached the specified backoff limit"
    )
    assert health_of(_obj("batch/v1", "Job", {}, {})) == Health("Progressing")
    assert health_of(_obj("v1", "Service", {"type": "ClusterIP"})) == Health("Healthy")
    assert health_of(_obj("v1", "Service", {"type": "LoadBalancer"})) == Health("Progressing")
    assert health_of(_obj("v1", "PersistentVolumeClaim", {}, {"phase": "Bound"})) == Health("Healthy")
    assert health_of(_obj("v1", "ConfigMap")) is None
    deleting = _obj("v1", "Service")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert health_of(deleting) == Health("Progressing", "Pending deletion")


def test_the_worst_health_wins() -> None:
    assert worst([Health("Healthy"), Health("Degraded", "x"), Health("Progressing")]) == Health(
        "Degraded", "x"
    )
    assert worst([Health("Suspended"), Health("Missing")]) == Health("Missing")
    assert worst([]) == Health("Healthy")
