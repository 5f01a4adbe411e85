"""The cells of `kubectl get`: ages as kube-apiserver's HumanDuration writes them, a pod's
STATUS and RESTARTS in each state the sandbox puts it in, and which Accept headers ask for
a Table."""

from __future__ import annotations

from typing import Any

import pytest

from envman.sandbox.controllers import kubelet
from envman.sandbox.printing import human_duration, pod_restarts, pod_status
from envman.sandbox.tables import wants_table


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (150, "2m30s"),
        (540, "9m"),
        (600, "10m"),
        (10799, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 1800, "3h30m"),
        (47 * 3600, "47h"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (800 * 86400, "2y70d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_as_kubectl_prints_them(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def _pod(restart_policy: str = "Always") -> dict[str, Any]:
    return {
        "metadata": {"name": "web-1", "namespace": "default", "uid": "u1"},
        "spec": {"restartPolicy": restart_policy, "containers": [{"name": "web", "image": "web:2"}]},
        "status": {"phase": "Pending"},
    }


def test_the_status_and_restarts_columns_of_each_pod_state() -> None:
    pod = _pod()
    assert (pod_status(pod), pod_restarts(pod)) == ("Pending", "0")
    running = {**pod, "status": kubelet.running(pod, ready=True)}
    assert (pod_status(running), pod_restarts(running)) == ("Running", "0")
    crashed = {**pod, "status": kubelet.crash_loop(running, 3)}
    assert pod_status(crashed) == "CrashLoopBackOff" and pod_restarts(crashed) == "3 (0s ago)"
    assert pod_status({**pod, "status": kubelet.image_pull(pod, backoff=True)}) == "ImagePullBackOff"
    assert pod_status({**pod, "status": kubelet.unschedulable(pod)}) == "Pending"
    job = _pod("Never")
    assert pod_status({**job, "status": kubelet.completed(job)}) == "Completed"
    assert pod_status({**job, "status": kubelet.failed(job)}) == "Error"
    deleting = {**running, "metadata": {**pod["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert pod_status(deleting) == "Terminating"


def test_which_accept_headers_ask_for_a_table() -> None:
    kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    assert wants_table(kubectl) == "v1"
    assert wants_table("application/json;as=Table;v=v1beta1;g=meta.k8s.io") == "v1beta1"
    assert wants_table("application/json") is None
    assert wants_table("application/vnd.kubernetes.protobuf,application/json") is None
    assert wants_table("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io") is None
