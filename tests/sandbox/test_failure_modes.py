"""`fail --mode`: the pod and Job statuses of each mode, read through the real kubernetes
client as a real kubelet and Job controller write them, and only new pod templates failing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kubernetes import client, watch

from envman.sandbox.testing import RunningSandbox

UNREADY = ("ContainersNotReady", "containers with unready status: [api]")
NOT_FOUND = 'failed to pull and unpack image "{0}": failed to resolve reference "{0}": not found'
UNSCHEDULABLE = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)


def _deployment(name: str, image: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "api", "image": image}]},
            },
        },
    }


def _job(name: str, image: str, **spec: Any) -> dict[str, Any]:
    pod = {"restartPolicy": "Never", "containers": [{"name": "api", "image": image, "command": ["migrate"]}]}
    return {"metadata": {"name": name}, "spec": {"template": {"spec": pod}, **spec}}


def _pods_until(
    kube: client.ApiClient, create: Callable[[], object], done: Callable[[client.V1Pod], bool]
) -> list[client.V1Pod]:
    """Every pod event in `default` from just before `create` until a pod is `done`."""
    core = client.CoreV1Api(kube)
    since = core.list_namespaced_pod("default").metadata.resource_version
    create()
    seen: list[client.V1Pod] = []
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "default", resource_version=since, timeout_seconds=10
    ):
        seen.append(event["object"])
        if done(event["object"]):
            return seen
    raise AssertionError(f"no pod became done: {[p.status for p in seen][-3:]}")


def _waiting(pod: client.V1Pod) -> str | None:
    statuses = pod.status.container_statuses or []
    waiting = statuses[0].state.waiting if statuses else None
    return waiting.reason if waiting else None


def _conditions(pod: client.V1Pod) -> dict[str, tuple[str, str | None, str | None]]:
    for c in pod.status.conditions:
        assert isinstance(c.last_transition_time, datetime) and c.last_transition_time.tzinfo is not None
    return {c.type: (c.status, c.reason, c.message) for c in pod.status.conditions}


def _assert_unready_on_node(pod: client.V1Pod) -> None:
    assert pod.spec.node_name == "sandbox-node" and pod.status.pod_ip
    conditions = _conditions(pod)
    assert conditions["PodScheduled"] == ("True", None, None)
    assert conditions["Initialized"] == ("True", None, None)
    assert conditions["ContainersReady"] == ("False", *UNREADY)
    assert conditions["Ready"] == ("False", *UNREADY)


def _wait(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Until `check` holds; one that reads a status not written yet (None) does not."""

    def holds() -> bool:
        try:
            return check()
        except AttributeError:
            return False

    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_never_ready_pods_run_with_a_failing_readiness_probe(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.fail("alpha")
    apps = client.AppsV1Api(kube)
    seen = _pods_until(
        kube,
        lambda: apps.create_namespaced_deployment("default", _deployment("x", "nginx:1")),
        lambda p: p.status.phase == "Running",
    )
    pod = seen[-1]
    _assert_unready_on_node(pod)
    (container,) = pod.status.container_statuses
    assert (container.ready, container.started, container.restart_count) == (False, True, 0)
    assert isinstance(container.state.running.started_at, datetime)
    time.sleep(0.3)
    assert client.CoreV1Api(kube).read_namespaced_pod(pod.metadata.name, "default").status.phase == "Running"
    assert not apps.read_namespaced_deployment("x", "default").status.ready_replicas


def test_image_pull_pods_wait_in_err_image_pull_then_image_pull_back_off(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.fail("alpha", mode="image-pull")
    apps = client.AppsV1Api(kube)
    seen = _pods_until(
        kube,
        lambda: apps.create_namespaced_deployment("default", _deployment("x", "nginx:bad")),
        lambda p: _waiting(p) == "ImagePullBackOff",
    )
    reasons = [r for r in dict.fromkeys(_waiting(p) for p in seen) if r]
    assert reasons == ["ErrImagePull", "ImagePullBackOff"]
    pulling = next(p for p in seen if _waiting(p) == "ErrImagePull")
    assert pulling.status.container_statuses[0].state.waiting.message == NOT_FOUND.format("nginx:bad")
    pod = seen[-1]
    assert pod.status.phase == "Pending"
    _assert_unready_on_node(pod)
    (container,) = pod.status.container_statuses
    assert container.state.waiting.message == 'Back-off pulling image "nginx:bad"'
    assert (container.ready, container.started, container.restart_count) == (False, False, 0)


def test_crash_loop_pods_restart_into_crash_loop_back_off_up_to_a_cap(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.fail("alpha", mode="crash-loop")
    apps = client.AppsV1Api(kube)
    seen = _pods_until(
        kube,
        lambda: apps.create_namespaced_deployment("default", _deployment("x", "nginx:1")),
        lambda p: bool(p.status.container_statuses) and p.status.container_statuses[0].restart_count == 10,
    )
    started = next(p for p in seen if p.status.container_statuses)
    assert started.status.container_statuses[0].state.running is not None
    counts = [p.status.container_statuses[0].restart_count for p in seen if p.status.container_statuses]
    assert counts == sorted(counts) and sorted(set(counts)) == list(range(11))
    pod = seen[-1]
    assert pod.status.phase == "Running"
    (container,) = pod.status.container_statuses
    assert container.state.waiting.reason == "CrashLoopBackOff"
    meta = pod.metadata
    assert container.state.waiting.message == (
        f"back-off 5m0s restarting failed container=api pod={meta.name}_default({meta.uid})"
    )
    first = next(p for p in seen if _waiting(p) == "CrashLoopBackOff").status.container_statuses[0]
    assert first.state.waiting.message.startswith("back-off 10s restarting failed container=api pod=")
    crashed = container.last_state.terminated
    assert (crashed.exit_code, crashed.reason) == (1, "Error")
    assert crashed.started_at <= crashed.finished_at
    assert (container.ready, container.started) == (False, False)
    conditions = _conditions(pod)
    assert conditions["Ready"] == ("False", *UNREADY)
    time.sleep(0.3)  # capped: the store stops changing
    again = client.CoreV1Api(kube).read_namespaced_pod(meta.name, "default")
    assert again.metadata.resource_version == meta.resource_version


def test_unschedulable_pods_stay_pending_without_a_node(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.fail("alpha", mode="unschedulable")
    apps = client.AppsV1Api(kube)
    seen = _pods_until(
        kube,
        lambda: apps.create_namespaced_deployment("default", _deployment("x", "nginx:1")),
        lambda p: bool(p.status.conditions),
    )
    pod = seen[-1]
    assert pod.status.phase == "Pending" and pod.spec.node_name is None
    assert pod.status.container_statuses is None and pod.status.pod_ip is None
    assert _conditions(pod) == {"PodScheduled": ("False", "Unschedulable", UNSCHEDULABLE)}


def test_job_fail_fails_job_pods_until_the_backoff_limit(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.fail("alpha", mode="job-fail")
    apps, batch, core = client.AppsV1Api(kube), client.BatchV1Api(kube), client.CoreV1Api(kube)
    apps.create_namespaced_deployment("default", _deployment("web", "nginx:2"))
    started = time.monotonic()
    batch.create_namespaced_job("default", _job("migrate", "tool:2"))

    def failed() -> bool:
        status = batch.read_namespaced_job("migrate", "default").status
        return any(c.type == "Failed" for c in status.conditions or [])

    _wait(failed)
    assert time.monotonic() - started < 3
    status = batch.read_namespaced_job("migrate", "default").status
    assert (status.failed, status.active, status.succeeded) == (7, 0, 0)
    reason = ("True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert [(c.type, (c.status, c.reason, c.message)) for c in status.conditions] == [
        ("FailureTarget", reason),
        ("Failed", reason),
    ]
    assert status.completion_time is None and isinstance(status.conditions[0].last_transition_time, datetime)
    pods = core.list_namespaced_pod("default", label_selector="job-name=migrate").items
    assert len(pods) == 7 and {p.status.phase for p in pods} == {"Failed"}
    for pod in pods:
        terminated = pod.status.container_statuses[0].state.terminated
        assert (terminated.exit_code, terminated.reason) == (1, "Error")
        assert _conditions(pod)["Ready"] == ("False", "PodFailed", None)
    _wait(lambda: apps.read_namespaced_deployment("web", "default").status.ready_replicas == 1)


def test_only_pods_of_new_templates_fail_and_heal_starts_them(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    apps, batch, core = client.AppsV1Api(kube), client.BatchV1Api(kube), client.CoreV1Api(kube)
    apps.create_namespaced_deployment("default", _deployment("x", "nginx:1", replicas=2))
    batch.create_namespaced_job("default", _job("migrate", "tool:1", backoffLimit=0))

    def ready(replicas: int) -> Callable[[], bool]:
        def check() -> bool:
            status = apps.read_namespaced_deployment("x", "default").status
            return status.ready_replicas == status.updated_replicas == status.replicas == replicas

        return check

    def job_done(condition: str) -> Callable[[], bool]:
        def check() -> bool:
            status = batch.read_namespaced_job("migrate", "default").status
            return any(c.type == condition for c in status.conditions or [])

        return check

    _wait(ready(2))
    _wait(job_done("Complete"))
    batch.delete_namespaced_job("migrate", "default", propagation_policy="Background")
    sandbox.fail("alpha", mode="job-fail")
    batch.create_namespaced_job("default", _job("migrate", "tool:1", backoffLimit=0))  # a hook run again
    _wait(job_done("Complete"))
    sandbox.fail("alpha", mode="image-pull")  # a second fail of all apps changes the mode only
    batch.delete_namespaced_job("migrate", "default", propagation_policy="Background")
    batch.create_namespaced_job("default", _job("migrate", "tool:2", backoffLimit=0))
    _wait(lambda: any(_waiting(p) == "ImagePullBackOff" for p in core.list_namespaced_pod("default").items))
    apps.patch_namespaced_deployment_scale("x", "default", {"spec": {"replicas": 3}})
    _wait(ready(3))
    apps.patch_namespaced_deployment(
        "x",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:bad"}]}}}},
    )
    _wait(
        lambda: sum(_waiting(p) == "ImagePullBackOff" for p in core.list_namespaced_pod("default").items) == 2
    )
    status = apps.read_namespaced_deployment("x", "default").status
    assert (status.ready_replicas, status.updated_replicas) == (3, 1)  # the old pods stay ready
    sandbox.heal("alpha")
    _wait(ready(3))
    _wait(job_done("Complete"))


def test_statefulset_and_daemonset_pods_are_keyed_by_their_revision(
    kube: client.ApiClient, sandbox: RunningSandbox
) -> None:
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    labels = {"app": "db"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "api", "image": "db:1"}]}}
    selector = {"matchLabels": labels}
    sts = {
        "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": selector, "template": template},
    }
    apps.create_namespaced_stateful_set("default", sts)
    _wait(lambda: apps.read_namespaced_stateful_set("db", "default").status.ready_replicas == 2)
    sandbox.fail("alpha", mode="never-ready")
    core.delete_namespaced_pod("db-1", "default")  # comes back from the known revision
    _wait(lambda: apps.read_namespaced_stateful_set("db", "default").status.ready_replicas == 2)
    agent = {
        "metadata": {"labels": {"app": "agent"}},
        "spec": {"containers": [{"name": "api", "image": "agent:1"}]},
    }
    ds = {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": agent},
    }
    apps.create_namespaced_daemon_set("default", ds)

    def agent_running() -> list[client.V1Pod]:
        pods = core.list_namespaced_pod("default", label_selector="app=agent").items
        return [p for p in pods if p.status.phase == "Running"]

    _wait(lambda: bool(agent_running()))
    (pod,) = agent_running()
    assert pod.metadata.labels["controller-revision-hash"] and pod.spec.node_name == "sandbox-node"
    _assert_unready_on_node(pod)
    assert apps.read_namespaced_daemon_set("agent", "default").status.number_ready == 0
