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

    def sync(self, obj: Obj, owned: list[Obj]) -> bool:
        changed = self._scale_pods(obj, owned)
        return self.save_status(REPLICASETS, obj, _status(obj, owned)) or changed

    def _scale_pods(self, rs: Obj, pods: list[Obj]) -> bool:
        desired = int(rs["spec"].get("replicas", 1))
        changed = False
        for _ in range(desired - len(pods)):
            name = f"{rs['metadata']['name']}-{suffix()}"
            self.create_pod(rs, rs["spec"]["template"], name, {})
            changed = True
        if len(pods) > desired:
            pods.sort(key=lambda p: (is_ready(p), p["metadata"]["creationTimestamp"]))
            for pod in pods[: len(pods) - desired]:
                self.delete("pods", pod)
            changed = True
        return changed


def _status(rs: Obj, pods: list[Obj]) -> Obj:
    ready = sum(1 for p in pods if is_ready(p))
    return {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
