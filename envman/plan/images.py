"""The container images a release runs, read from its manifest (pure): every container and
init container of its Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and bare Pods,
in the order the manifest gives them, each once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from envman.plan.manifests import manifest_objects

_POD_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


def release_images(manifest: str, namespace: str) -> tuple[str, ...]:
    """Each image the manifest's workloads run, once."""
    found = (
        image for obj in manifest_objects(manifest, namespace) for image in _images(obj.ref.kind, obj.body)
    )
    return tuple(dict.fromkeys(found))


def _images(kind: str, body: Mapping[str, Any]) -> Iterator[str]:
    path = _POD_PATHS.get(kind)
    if path is None:
        return
    node: Any = body
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return
    for key in ("initContainers", "containers"):
        for container in node.get(key) or []:
            if isinstance(container, Mapping) and container.get("image"):
                yield str(container["image"])
