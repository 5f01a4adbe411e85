"""Rollouts as a real cluster runs them: the old ReplicaSet reused on rollback, never more
old pods removed than `maxUnavailable` allows, and a rollback under `fail` that succeeds."""

from __future__ import annotations

import time
from collections.abc import Callable

from kubernetes import client

from envman.sandbox.controllers.workloads import is_ready
from envman.sandbox.store import DELETED, Event
from envman.sandbox.testing import RunningSandbox
from tests.sandbox.conftest import ChartPath, Helm, deploy, history


def _replicasets(sandbox: RunningSandbox) -> dict[str, int]:
    api = sandbox.sandbox.clusters["alpha"].api
    return {
        rs["metadata"]["name"]: int(rs["spec"]["replicas"])
        for rs in api.store.items("apps/replicasets", "apps")
    }


def test_rollback_of_a_chart_rendering_nulls_reuses_the_old_replicaset(
    helm: Helm, chart: ChartPath, sandbox: RunningSandbox
) -> None:
    deploy(helm, "r", chart("rolling"))
    (first,) = _replicasets(sandbox)
    deploy(helm, "r", chart("rolling"), "--set", "image.tag=6.7.1")
    helm.run("rollback", "r", "1", "-n", "apps", "--wait", "--timeout", "30s")
    sets = _replicasets(sandbox)
    assert len(sets) == 2 and sets[first] == 3, sets


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _rolled_out(apps: client.AppsV1Api, name: str, image: str) -> bool:
    dep = apps.read_namespaced_deployment(name, "default")
    status = dep.status
    return (
        status is not None
        and dep.spec.template.spec.containers[0].image == image
        and status.observed_generation == dep.metadata.generation
        and status.updated_replicas == status.ready_replicas == status.replicas == 3
    )


def test_a_rolling_update_never_has_fewer_ready_pods_than_max_unavailable_allows(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    labels = {"app": "r"}
    body = {
        "metadata": {"name": "r"},
        "spec": {
            "replicas": 3,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "api", "image": "a:1"}]},
            },
        },
    }
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("default", body)
    _wait(lambda: _rolled_out(apps, "r", "a:1"))
    ready: set[str] = set()
    existing: set[str] = set()
    lows: list[tuple[int, int]] = []

    def track(event: Event) -> None:
        if event.key != "/pods":
            return
        uid = event.obj["metadata"]["uid"]
        (existing.discard if event.type == DELETED else existing.add)(uid)
        (ready.add if event.type != DELETED and is_ready(event.obj) else ready.discard)(uid)
        lows.append((len(ready), len(existing)))

    store = sandbox.sandbox.clusters["alpha"].api.store
    with store.lock:
        for pod in store.items("/pods", "default"):
            existing.add(pod["metadata"]["uid"])
            ready.add(pod["metadata"]["uid"])
        store.listeners.append(track)
    for image in ("a:2", "a:3"):
        apps.patch_namespaced_deployment(
            "r",
            "default",
            {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": image}]}}}},
        )
        _wait(lambda image=image: _rolled_out(apps, "r", image))  # type: ignore[misc]
    assert lows and min(r for r, _ in lows) == 2, lows
    assert max(e for _, e in lows) == 4, lows


def test_under_fail_old_templates_start_so_rollback_and_scale_up_succeed(
    helm: Helm, chart: ChartPath, sandbox: RunningSandbox
) -> None:
    deploy(helm, "r", chart("rolling"))  # 3 replicas, maxUnavailable 1, as podinfo
    (good,) = _replicasets(sandbox)
    sandbox.fail("alpha", "r", mode="image-pull")
    assert deploy(helm, "r", chart("rolling"), "--set", "image.tag=bad", check=False, timeout="3s") != 0
    api = sandbox.sandbox.clusters["alpha"].api
    pods = api.store.items("/pods", "apps")
    states = [p["status"]["containerStatuses"][0]["state"] for p in pods]
    assert sorted(s.get("waiting", {}).get("reason", "running") for s in states) == [
        "ImagePullBackOff",
        "ImagePullBackOff",
        "running",
        "running",
    ]
    helm.run("rollback", "r", "1", "-n", "apps", "--wait", "--timeout", "30s")
    assert [h["status"] for h in history(helm, "r", "apps")] == ["superseded", "failed", "deployed"]
    sets = _replicasets(sandbox)
    assert len(sets) == 2 and sets[good] == 3, sets
    deploy(helm, "r", chart("rolling"), "--set", "replicaCount=4")  # the old ReplicaSet scales up
    assert _replicasets(sandbox)[good] == 4
    deployment = api.store.get("apps/deployments", "apps", "r")
    assert deployment is not None and deployment["status"]["readyReplicas"] == 4
