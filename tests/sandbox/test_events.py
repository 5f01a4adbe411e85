"""Events: what the scheduler, kubelet and controllers write in every `fail` mode (read
through the kubernetes client), and how the recorder counts repeats, expires events after
their TTL and keeps at most its limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from envman.sandbox.events import EVENTS, NORMAL, WARNING, Note, Recorder, Source
from envman.sandbox.store import Store
from envman.sandbox.testing import RunningSandbox

Seen = list[tuple[str, str, str, str]]


def _deployment(name: str, probe: dict[str, Any] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "api", "image": f"{name}:2"}
    if probe:
        container["readinessProbe"] = probe
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def _events(kube: client.ApiClient, kind: str, name_prefix: str) -> Seen:
    """(type, reason, message, component) of the events about objects of `kind` named so."""
    items = client.CoreV1Api(kube).list_namespaced_event("default").items
    return [
        (e.type, e.reason, e.message, e.source.component)
        for e in sorted(items, key=lambda e: e.metadata.creation_timestamp)
        if e.involved_object.kind == kind and e.involved_object.name.startswith(name_prefix)
    ]


def _until(kube: client.ApiClient, kind: str, prefix: str, done: Callable[[Seen], bool]) -> Seen:
    deadline = time.monotonic() + 15
    while not done(seen := _events(kube, kind, prefix)):
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
    return seen


def _has(*wanted: tuple[str, str]) -> Callable[[Seen], bool]:
    return lambda seen: all(any((t, r) == w for t, r, _, _ in seen) for w in wanted)


@pytest.mark.parametrize("mode", ["image-pull", "crash-loop", "never-ready", "unschedulable"])
def test_each_fail_mode_writes_the_events_a_real_node_writes(
    kube: client.ApiClient, sandbox: RunningSandbox, mode: str
) -> None:
    sandbox.fail("alpha", mode=mode)
    probe = {"httpGet": {"path": "/ready", "port": 8080}}
    client.AppsV1Api(kube).create_namespaced_deployment("default", _deployment("web", probe))
    pod_events: dict[str, tuple[tuple[str, str], ...]] = {
        "image-pull": ((NORMAL, "Pulling"), (WARNING, "Failed"), (NORMAL, "BackOff")),
        "crash-loop": ((NORMAL, "Started"), (WARNING, "BackOff")),
        "never-ready": ((NORMAL, "Started"), (WARNING, "Unhealthy")),
        "unschedulable": ((WARNING, "FailedScheduling"),),
    }
    seen = _until(kube, "Pod", "web-", _has(*pod_events[mode]))
    messages = {(r, m) for _, r, m, _ in seen}
    if mode == "image-pull":
        assert ("Failed", "Error: ErrImagePull") in messages and (
            "Failed",
            "Error: ImagePullBackOff",
        ) in messages
        assert ("BackOff", 'Back-off pulling image "web:2"') in messages
        assert any(
            m.startswith('Failed to pull image "web:2": failed to pull and unpack') for _, m in messages
        )
    elif mode == "crash-loop":
        assert any(
            r == "BackOff" and m.startswith("Back-off restarting failed container api in pod web-")
            for r, m in messages
        )
    elif mode == "never-ready":
        assert ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503") in messages
    else:
        assert [(r, c) for _, r, _, c in seen] == [("FailedScheduling", "default-scheduler")]
        assert seen[0][2].startswith("0/3 nodes are available: 3 Insufficient cpu.")


def test_job_fail_writes_the_job_controllers_events(kube: client.ApiClient, sandbox: RunningSandbox) -> None:
    sandbox.fail("alpha", mode="job-fail")
    pod = {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "tool:2"}]}
    job = {"metadata": {"name": "migrate"}, "spec": {"backoffLimit": 1, "template": {"spec": pod}}}
    client.BatchV1Api(kube).create_namespaced_job("default", job)
    seen = _until(kube, "Job", "migrate", _has((WARNING, "BackoffLimitExceeded")))
    assert [(t, r, c) for t, r, _, c in seen] == [
        (NORMAL, "SuccessfulCreate", "job-controller"),
        (NORMAL, "SuccessfulCreate", "job-controller"),
        (WARNING, "BackoffLimitExceeded", "job-controller"),
    ]
    assert seen[-1][2] == "Job has reached the specified backoff limit"


def test_a_deleted_running_pod_is_killed(kube: client.ApiClient) -> None:
    client.AppsV1Api(kube).create_namespaced_deployment("default", _deployment("web"))
    started = _until(kube, "Pod", "web-", _has((NORMAL, "Started")))
    assert started
    core = client.CoreV1Api(kube)
    (pod,) = core.list_namespaced_pod("default").items
    core.delete_namespaced_pod(pod.metadata.name, "default")
    killed = _until(kube, "Pod", pod.metadata.name, _has((NORMAL, "Killing")))
    assert (NORMAL, "Killing", "Stopping container api", "kubelet") in killed
    replaced = _until(kube, "ReplicaSet", "web-", lambda seen: len(seen) == 2)
    assert [r for _, r, _, _ in replaced] == ["SuccessfulCreate"] * 2  # the replacement


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": name},
    }


def test_the_recorder_counts_repeats_expires_events_and_keeps_at_most_its_limit() -> None:
    store, clock, wakes = Store(), Clock(), []
    recorder = Recorder(store, wakes.append, ttl=60.0, limit=3, clock=clock)
    backoff = Note(WARNING, "BackOff", "Back-off restarting failed container", Source("kubelet", "node"))
    for _ in range(3):
        recorder.record(_pod("a"), backoff)
    (event,) = store.items(EVENTS)
    assert (event["count"], event["involvedObject"]["name"], event["source"]) == (
        3,
        "a",
        {"component": "kubelet", "host": "node"},
    )
    assert wakes == [1060.0]  # one timer, at the first expiry
    for name in ("b", "c", "d"):
        clock.now += 10
        recorder.record(_pod(name), backoff)
    assert sorted(e["involvedObject"]["name"] for e in store.items(EVENTS)) == ["b", "c", "d"]  # limit 3
    clock.now += 55  # b (expires at 1070) and c (1080) expired, d (1090) not yet
    recorder.sync()
    assert [e["involvedObject"]["name"] for e in store.items(EVENTS)] == ["d"]
    assert wakes[-1] == 1090.0
    clock.now += 100
    recorder.sync()
    assert store.items(EVENTS) == []
    recorder.defer(_pod("e"), backoff)  # from inside a store notification: written on the next sync
    assert store.items(EVENTS) == [] and wakes[-1] == clock.now
    recorder.sync()
    assert [e["involvedObject"]["name"] for e in store.items(EVENTS)] == ["e"]
