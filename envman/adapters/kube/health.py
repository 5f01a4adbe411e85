"""Workload health of helm releases, read with the kubernetes client.

A release's workloads are the Deployments, StatefulSets, DaemonSets and Jobs of its current
manifest (from helm's storage). Healthy means rolled out and available: the controller has
observed the latest generation, every replica is updated and available, Jobs are complete,
and no pod of the workload is in CrashLoopBackOff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from envman.adapters.kube.client import REQUEST_TIMEOUT, KubeClients, call
from envman.adapters.kube.releases import list_storage
from envman.adapters.target import ClusterTarget

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class WorkloadHealth:
    workload: Workload
    ok: bool
    detail: str


def workloads_of(manifest: str, namespace: str) -> list[Workload]:
    """The workloads a rendered manifest declares (namespace defaults to the release's)."""
    try:
        docs = list(YAML(typ="safe").load_all(manifest))
    except YAMLError:
        return []
    found = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") in WORKLOAD_KINDS:
            meta = doc.get("metadata") or {}
            found.append(Workload(doc["kind"], meta.get("namespace") or namespace, str(meta.get("name", ""))))
    return found


def release_workloads(
    clients: KubeClients, cluster: ClusterTarget, release: str, namespace: str
) -> list[Workload]:
    """The workloads of the deployed revision of `release` (blocking: run it in a thread)."""
    selector = f"owner=helm,name={release},status=deployed"
    found: list[Workload] = []
    for live in list_storage(clients, cluster, selector, namespace):
        found.extend(workloads_of(live.manifest, namespace))
    return found


def check_workloads(
    clients: KubeClients, cluster: ClusterTarget, workloads: list[Workload]
) -> list[WorkloadHealth]:
    """One poll of every workload (blocking: run it in a thread)."""
    api = clients.api(cluster)
    return [_check(api, cluster, w) for w in workloads]


def _check(api: client.ApiClient, cluster: ClusterTarget, workload: Workload) -> WorkloadHealth:
    reader, judge = _KINDS[workload.kind]
    obj = call(cluster, f"read {workload}", lambda: reader(api, workload))
    problem = judge(obj)
    if problem is None and workload.kind != "Job":
        problem = _crashlooping(api, cluster, workload, obj)
    return WorkloadHealth(workload, problem is None, problem or "ready")


def _read_deployment(api: client.ApiClient, w: Workload) -> Any:
    return client.AppsV1Api(api).read_namespaced_deployment(
        w.name, w.namespace, _request_timeout=REQUEST_TIMEOUT
    )


def _read_statefulset(api: client.ApiClient, w: Workload) -> Any:
    return client.AppsV1Api(api).read_namespaced_stateful_set(
        w.name, w.namespace, _request_timeout=REQUEST_TIMEOUT
    )


def _read_daemonset(api: client.ApiClient, w: Workload) -> Any:
    return client.AppsV1Api(api).read_namespaced_daemon_set(
        w.name, w.namespace, _request_timeout=REQUEST_TIMEOUT
    )


def _read_job(api: client.ApiClient, w: Workload) -> Any:
    return client.BatchV1Api(api).read_namespaced_job(w.name, w.namespace, _request_timeout=REQUEST_TIMEOUT)


def _generation_problem(obj: Any) -> str | None:
    observed = obj.status.observed_generation or 0
    if observed < (obj.metadata.generation or 0):
        return f"generation {obj.metadata.generation} not yet observed (at {observed})"
    return None


def _judge_deployment(obj: Any) -> str | None:
    want = obj.spec.replicas if obj.spec.replicas is not None else 1
    status = obj.status
    updated, available = status.updated_replicas or 0, status.available_replicas or 0
    if (problem := _generation_problem(obj)) is not None:
        return problem
    if updated < want:
        return f"{updated}/{want} replicas updated"
    if available < want:
        return f"{available}/{want} replicas available"
    return None


def _judge_statefulset(obj: Any) -> str | None:
    want = obj.spec.replicas if obj.spec.replicas is not None else 1
    status = obj.status
    if (problem := _generation_problem(obj)) is not None:
        return problem
    if (status.updated_replicas or 0) < want and status.current_revision != status.update_revision:
        return f"{status.updated_replicas or 0}/{want} replicas updated"
    if (status.ready_replicas or 0) < want:
        return f"{status.ready_replicas or 0}/{want} replicas ready"
    return None


def _judge_daemonset(obj: Any) -> str | None:
    status = obj.status
    want = status.desired_number_scheduled or 0
    if (problem := _generation_problem(obj)) is not None:
        return problem
    if (status.updated_number_scheduled or 0) < want:
        return f"{status.updated_number_scheduled or 0}/{want} pods updated"
    if (status.number_available or 0) < want:
        return f"{status.number_available or 0}/{want} pods available"
    return None


def _judge_job(obj: Any) -> str | None:
    conditions = {c.type: c for c in (obj.status.conditions or []) if c.status == "True"}
    if "Failed" in conditions:
        return f"failed: {conditions['Failed'].reason or conditions['Failed'].message or 'no reason given'}"
    if "Complete" not in conditions:
        return f"not complete ({obj.status.succeeded or 0} succeeded)"
    return None


_KINDS: dict[str, tuple[Callable[[client.ApiClient, Workload], Any], Callable[[Any], str | None]]] = {
    "Deployment": (_read_deployment, _judge_deployment),
    "StatefulSet": (_read_statefulset, _judge_statefulset),
    "DaemonSet": (_read_daemonset, _judge_daemonset),
    "Job": (_read_job, _judge_job),
}


def _crashlooping(api: client.ApiClient, cluster: ClusterTarget, workload: Workload, obj: Any) -> str | None:
    labels = (obj.spec.selector.match_labels or {}) if obj.spec.selector else {}
    if not labels:
        return None
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    core = client.CoreV1Api(api)
    pods = call(
        cluster,
        f"list pods of {workload}",
        lambda: core.list_namespaced_pod(
            workload.namespace, label_selector=selector, _request_timeout=REQUEST_TIMEOUT
        ),
    )
    for pod in pods.items:
        for waiting in _waiting_reasons(pod):
            if waiting == "CrashLoopBackOff":
                name = pod.metadata.name if pod.metadata else "?"
                return f"pod {name} is in CrashLoopBackOff"
    return None


def _waiting_reasons(pod: Any) -> Iterator[str]:
    for status in (pod.status.container_statuses or []) if pod.status else []:
        state = status.state
        if state is not None and state.waiting is not None and state.waiting.reason:
            yield state.waiting.reason
