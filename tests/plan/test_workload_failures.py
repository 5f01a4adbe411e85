"""Fail fast's judge, on objects shaped as the API server returns them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from envman.plan.workload_failures import (
    FailFastSettings,
    ReleaseObjects,
    first_failure,
    ready_text,
    release_objects,
)

START = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
SETTINGS = FailFastSettings()


def stamp(seconds: float = 0) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(
    name: str = "api", release: str = "api", replicas: int = 3, ready: int = 0, **status: Any
) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "uid": f"d-{name}", "annotations": {"meta.helm.sh/release-name": release}},
        "spec": {"replicas": replicas},
        "status": {"readyReplicas": ready, **status},
    }


def replicaset(name: str = "api-7f9c", owner: str = "api") -> dict[str, Any]:
    owners = [{"kind": "Deployment", "name": owner, "uid": f"d-{owner}"}]
    return {"kind": "ReplicaSet", "metadata": {"name": name, "uid": f"rs-{name}", "ownerReferences": owners}}


def pod(
    name: str = "api-7f9c-x2",
    owner: tuple[str, str] = ("ReplicaSet", "rs-api-7f9c"),
    created: float = 1,
    containers: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {
            "name": name,
            "uid": f"p-{name}",
            "creationTimestamp": stamp(created),
            "labels": labels or {},
            "ownerReferences": [{"kind": owner[0], "uid": owner[1]}],
        },
        "status": {"containerStatuses": containers or [], "conditions": conditions or []},
    }


def waiting(reason: str, message: str = "", restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "name": "api",
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": message}},
        **extra,
    }


def objects(*items: dict[str, Any]) -> ReleaseObjects:
    return release_objects("api", [deployment(), replicaset(), *items], START)


def test_image_pull_back_off_of_a_new_pod_is_a_failure_naming_pod_and_container() -> None:
    found = first_failure(
        objects(pod(containers=[waiting("ImagePullBackOff", 'Back-off pulling image "api:bad"')])),
        START,
        SETTINGS,
    )
    assert found is not None and found.to_dict() == {
        "reason": "ImagePullBackOff",
        "pod": "api-7f9c-x2",
        "container": "api",
        "message": 'Back-off pulling image "api:bad"',
    }


def test_every_definitive_waiting_reason_fails() -> None:
    for reason in (
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "CrashLoopBackOff",
    ):
        found = first_failure(objects(pod(containers=[waiting(reason)])), START, SETTINGS)
        assert found is not None and found.reason == reason


def test_crash_loop_carries_the_last_exit_code() -> None:
    last = {"terminated": {"exitCode": 1, "reason": "Error"}}
    crash = waiting("CrashLoopBackOff", "back-off 10s restarting failed container=api", 1, lastState=last)
    found = first_failure(objects(pod(containers=[crash])), START, SETTINGS)
    assert found is not None
    assert found.message == "back-off 10s restarting failed container=api; last exit code 1 (Error)"


def test_more_restarts_than_allowed_fail_even_while_running() -> None:
    running = {"name": "api", "ready": True, "restartCount": 3, "state": {"running": {}}}
    assert first_failure(objects(pod(containers=[running])), START, SETTINGS) is not None
    assert first_failure(objects(pod(containers=[running])), START, FailFastSettings(restarts=3)) is None


def test_a_pod_older_than_the_upgrade_is_not_judged() -> None:
    old = pod(created=-60, containers=[waiting("CrashLoopBackOff")])
    assert first_failure(objects(old), START, SETTINGS) is None


def test_pods_of_another_release_are_not_judged() -> None:
    other = [deployment("web", "web"), replicaset("web-1", "web")]
    stray = pod("web-1-a", ("ReplicaSet", "rs-web-1"), containers=[waiting("ImagePullBackOff")])
    assert first_failure(release_objects("api", [*other, stray], START), START, SETTINGS) is None


def test_not_ready_without_a_reason_waits_for_helm() -> None:
    running = {"name": "api", "ready": False, "restartCount": 0, "state": {"running": {}}}
    found = objects(pod(containers=[running]))
    assert first_failure(found, START, SETTINGS) is None
    assert (
        ready_text(found) == "0/3 ready (new pods not ready: no definitive failure, helm's timeout decides)"
    )


def test_unschedulable_fails_only_after_its_grace() -> None:
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/3 nodes are available",
        "lastTransitionTime": stamp(1),
    }
    found = objects(pod(conditions=[condition]))
    assert first_failure(found, START + timedelta(seconds=60), SETTINGS) is None
    late = first_failure(found, START + timedelta(seconds=122), SETTINGS)
    assert late is not None and late.reason == "Unschedulable" and late.message == "0/3 nodes are available"


def test_a_failed_hook_job_is_a_failure_with_its_last_pod() -> None:
    job = {
        "kind": "Job",
        "metadata": {
            "name": "api-migrations",
            "uid": "j-1",
            "creationTimestamp": stamp(0),
            "labels": {"app.kubernetes.io/instance": "api"},
        },
        "status": {
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                }
            ]
        },
    }
    dead = {
        "name": "migrate",
        "ready": False,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": 2, "reason": "Error"}},
    }
    found = first_failure(
        objects(job, pod("api-migrations-q", ("Job", "j-1"), containers=[dead])), START, SETTINGS
    )
    assert found is not None and found.to_dict() == {
        "reason": "BackoffLimitExceeded",
        "pod": "api-migrations-q",
        "container": "migrate",
        "message": "job api-migrations: Job has reached the specified backoff limit; last exit code 2 (Error)",
    }


def test_a_deployment_past_its_progress_deadline_fails() -> None:
    stuck = deployment(
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "api-7f9c" has timed out progressing.',
            }
        ]
    )
    found = first_failure(release_objects("api", [stuck], START), START, SETTINGS)
    assert found is not None and found.reason == "ProgressDeadlineExceeded"


def test_ready_text_counts_ready_replicas_of_the_release() -> None:
    assert ready_text(release_objects("api", [deployment(ready=2)], START)) == "2/3 ready"
    assert ready_text(release_objects("api", [], START)) is None


def test_ready_text_counts_the_new_pods_not_the_old_ones_a_rolling_update_keeps() -> None:
    """3 old pods ready, 1 new one not: the upgrade has 0 of 3 ready (not 3/3)."""
    rolling = deployment(ready=3, replicas=3, updatedReplicas=1, observedGeneration=2)
    rolling["metadata"]["generation"] = 2
    rolling["status"]["replicas"] = 4
    assert ready_text(release_objects("api", [rolling], START)) == "0/3 ready"
    rolling["status"] |= {"replicas": 4, "updatedReplicas": 2, "readyReplicas": 3}  # 1 new ready, 2 old left
    assert ready_text(release_objects("api", [rolling], START)) == "1/3 ready"
    rolling["metadata"]["generation"] = 3  # the controller has not seen the new spec yet
    assert ready_text(release_objects("api", [rolling], START)) == "0/3 ready"
    daemon = {
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "uid": "ds", "annotations": {"meta.helm.sh/release-name": "api"}},
        "status": {
            "desiredNumberScheduled": 2,
            "currentNumberScheduled": 2,
            "updatedNumberScheduled": 1,
            "numberReady": 2,
        },
    }
    assert ready_text(release_objects("api", [daemon], START)) == "1/2 ready"
