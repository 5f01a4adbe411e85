"""The ReplicaSet controller: keeps `replicas` pods, deleting unready and young ones first."""

from __future__ import annotations

from typing import Any

from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.workloads import is_ready, suffix

Obj = dict[str, Any]

REPLICASETS = "apps/replicasets"


class ReplicaSets(Controller):
    """Creates and deletes the pods of every ReplicaSet and reports how many are ready."""

    key = REPLICASETS
    kind = ("apps", "ReplicaSet")
    component = "replicaset-controller"

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        self.save_status(REPLICASETS, obj, _status(obj, self._scale_pods(obj, owned)))

    def _scale_pods(self, rs: Obj, pods: list[Obj]) -> list[Obj]:
        """Create or delete pods towards `replicas`; the pods that were there and remain.

        A real controller does not count a pod it is deleting (it has a deletionTimestamp),
        so neither does the status here: counting one would let the Deployment controller
        scale the old ReplicaSet down once more than `maxUnavailable` allows.
        """
        desired = int(rs["spec"].get("replicas", 1))
        for _ in range(desired - len(pods)):
            name = f"{rs['metadata']['name']}-{suffix()}"
            self.create_pod(rs, rs["spec"]["template"], name, {})
        if len(pods) <= desired:
            return pods
        pods = sorted(pods, key=lambda p: (is_ready(p), p["metadata"]["creationTimestamp"]))
        for pod in pods[: len(pods) - desired]:
            self.delete_pod(rs, pod)
        return pods[len(pods) - desired :]


def _status(rs: Obj, pods: list[Obj]) -> Obj:
    ready = sum(1 for p in pods if is_ready(p))
    return {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
