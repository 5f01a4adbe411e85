"""Workload health of helm releases, read with a bounded number of requests: the workloads
of each release's deployed revision (helm storage), a LIST per kind and namespace of them,
and a LIST of pods per namespace, judged by `envman.plan.health`. Blocking: run in a thread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.objects import ClusterApi, read_objects
from envman.adapters.kube.releases import list_storage
from envman.adapters.target import ClusterTarget
from envman.plan.health import workload_problem, workloads
from envman.plan.manifests import ObjectRef, manifest_objects

_K = TypeVar("_K")


def release_workloads(
    clients: KubeClients, cluster: ClusterTarget, release: str, namespace: str
) -> list[ObjectRef]:
    """The workloads of the deployed revision of `release`."""
    selector = f"owner=helm,name={release},status=deployed"
    found: list[ObjectRef] = []
    for live in list_storage(clients, cluster, selector, namespace):
        found.extend(workloads(manifest_objects(live.manifest, namespace)))
    return found


def health_problems(api: ClusterApi, refs: Sequence[ObjectRef]) -> list[str]:
    """What is unhealthy about the workloads `refs`."""
    return cluster_health(api, {"": refs})[""]


def cluster_health(
    api: ClusterApi,
    releases: Mapping[_K, Sequence[ObjectRef]],
    objects: Mapping[ObjectRef, Mapping[str, Any] | None] | None = None,
) -> dict[_K, list[str]]:
    """What is unhealthy about the workloads of each release of one cluster, reading each
    kind and namespace once and the pods of each namespace once; `objects` already read are
    not read again."""
    refs = [ref for found in releases.values() for ref in found]
    live = dict(objects or {})
    live.update(read_objects(api, [ref for ref in refs if ref not in live]))
    pods = list_pods(api, {ref.namespace for ref in refs})
    health = {}
    for key, found in releases.items():
        problems = [workload_problem(ref, live.get(ref), pods.get(ref.namespace, ())) for ref in found]
        health[key] = [problem for problem in problems if problem]
    return health


def list_pods(api: ClusterApi, namespaces: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The pods of each namespace: one LIST each."""
    return {ns: api.list("v1", "Pod", ns) for ns in sorted(namespaces) if ns}
