"""The controllers are driven by what changed: an idle cluster does no work, a change syncs
the objects it concerns and not the rest, and time-driven steps come from the queue's timers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from envman.sandbox.controllers.queue import WorkQueue
from envman.sandbox.testing import RunningSandbox


def _deployment(name: str, image: str = "nginx:1", **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _settled(sandbox: RunningSandbox, cluster: str = "alpha") -> Callable[[], bool]:
    controllers = sandbox.sandbox.clusters[cluster].controllers
    return lambda: controllers.queue.quiet_for() > 5


def _all_ready(apps: client.AppsV1Api, count: int) -> bool:
    items = apps.list_namespaced_deployment("default").items
    return len(items) == count and all((d.status.ready_replicas or 0) == 1 for d in items)


def test_an_idle_cluster_does_no_controller_work(kube: client.ApiClient, sandbox: RunningSandbox) -> None:
    apps, batch = client.AppsV1Api(kube), client.BatchV1Api(kube)
    for i in range(5):
        apps.create_namespaced_deployment("default", _deployment(f"web-{i}"))
    job = {"restartPolicy": "Never", "containers": [{"name": "c", "image": "tool:1"}]}
    batch.create_namespaced_job(
        "default", {"metadata": {"name": "migrate"}, "spec": {"template": {"spec": job}}}
    )
    sandbox.fail("alpha", "stuck", mode="crash-loop")
    apps.create_namespaced_deployment("default", _deployment("stuck"))
    _wait(
        lambda: (
            sum((d.status.ready_replicas or 0) for d in apps.list_namespaced_deployment("default").items) == 5
        )
    )
    _wait(_settled(sandbox))  # the stuck rollout's one timer is its progress deadline, 10 min away
    before = sandbox.syncs("alpha"), sandbox.syncs("beta")
    assert before[0] > 0 and before[1] == 0
    time.sleep(1.0)
    assert (sandbox.syncs("alpha"), sandbox.syncs("beta")) == before


def test_a_change_syncs_the_objects_it_concerns_not_the_others(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    apps = client.AppsV1Api(kube)
    others = 30
    for i in range(others):
        apps.create_namespaced_deployment("default", _deployment(f"other-{i}"))
    apps.create_namespaced_deployment("default", _deployment("web"))
    _wait(lambda: _all_ready(apps, others + 1))
    _wait(_settled(sandbox))
    before = sandbox.syncs("alpha")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}}
    apps.patch_namespaced_deployment("web", "default", patch)

    def rolled_out() -> bool:
        dep = apps.read_namespaced_deployment("web", "default")
        status = dep.status
        return (
            status.observed_generation == dep.metadata.generation
            and status.updated_replicas == 1 == (status.ready_replicas) == status.replicas
        )

    _wait(rolled_out)
    _wait(_settled(sandbox))
    # the rollout of one Deployment: it, its two ReplicaSets and two pods, a few times each;
    # a pass over every object would sync the 30 other Deployments (and their ReplicaSets)
    assert 0 < sandbox.syncs("alpha") - before < others


def test_a_stalled_rollout_times_out_at_its_progress_deadline(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    apps = client.AppsV1Api(kube)
    sandbox.fail("alpha")
    apps.create_namespaced_deployment("default", _deployment("web", progressDeadlineSeconds=1))

    def progressing() -> tuple[str, str] | None:
        status = apps.read_namespaced_deployment("web", "default").status
        for c in (status and status.conditions) or []:
            if c.type == "Progressing":
                return c.status, c.reason
        return None

    _wait(lambda: progressing() == ("True", "ReplicaSetUpdated"))
    _wait(lambda: progressing() == ("False", "ProgressDeadlineExceeded"), timeout=5)
    _wait(_settled(sandbox))  # no timer left but the events' expiry, an hour away


def test_the_work_queue_hands_each_item_out_once_and_timers_when_due() -> None:
    queue = WorkQueue()
    start = time.monotonic()
    queue.add_at(("k", "ns", "late"), start + 0.2)
    queue.add_at(("k", "ns", "soon"), start + 0.1)
    queue.add_at(("k", "ns", "soon"), start + 0.15)  # an earlier timer is kept
    queue.add_at(("k", "ns", "cancelled"), start + 0.05)
    queue.cancel(("k", "ns", "cancelled"))
    for _ in range(3):
        queue.add(("k", "ns", "now"))
    assert queue.pending() == 3
    assert queue.get() == ("k", "ns", "now")
    assert queue.get() == ("k", "ns", "soon")
    assert 0.1 <= time.monotonic() - start < 0.2
    assert queue.get() == ("k", "ns", "late")
    assert time.monotonic() - start >= 0.2
    assert queue.pending() == 0
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    time.sleep(0.05)
    assert worker.is_alive()  # nothing queued, no timer: it sleeps
    queue.close()
    worker.join(timeout=2)
    assert got == [None]
