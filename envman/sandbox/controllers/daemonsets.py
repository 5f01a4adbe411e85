"""The DaemonSet controller: a pod on every node, stale pods replaced one at a time once all
are ready, and the scheduling counts a real controller reports.
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.workloads import (
    REVISION_LABEL,
    daemonset_revision,
    is_ready,
    pin_to_node,
    pinned_node,
    pod_from_template,
    suffix,
)

Obj = dict[str, Any]

DAEMONSETS = "apps/daemonsets"


class DaemonSets(Controller):
    """Keeps one pod of every DaemonSet on each node."""

    key = DAEMONSETS
    kind = ("apps", "DaemonSet")
    component = "daemonset-controller"
    watches = ("/nodes",)

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        revision = daemonset_revision(obj)
        nodes = [n["metadata"]["name"] for n in self.api.store.items("/nodes")]
        self._place(obj, owned, nodes, revision)
        stale = [p for p in owned if p["metadata"]["labels"].get(REVISION_LABEL) != revision]
        if stale and all(is_ready(p) for p in owned):
            self.delete_pod(obj, stale[0])
        self.save_status(DAEMONSETS, obj, _status(obj, owned, revision, len(nodes)))

    def _place(self, ds: Obj, pods: list[Obj], nodes: list[str], revision: str) -> None:
        """Create a pod on each node that has none."""
        placed = {pinned_node(p) for p in pods}
        for node in nodes:
            if node not in placed:
                labels = {
                    REVISION_LABEL: revision,
                    "pod-template-generation": str(ds["metadata"].get("generation", 1)),
                }
                name = f"{ds['metadata']['name']}-{suffix()}"
                pod = pod_from_template(ds, ds["spec"]["template"], name, labels)
                pin_to_node(pod, node)
                self.insert_pod(ds, pod)


def _status(ds: Obj, pods: list[Obj], revision: str, nodes: int) -> Obj:
    ready = sum(1 for p in pods if is_ready(p))
    status = {
        "observedGeneration": ds["metadata"].get("generation", 1),
        "desiredNumberScheduled": nodes,
        "currentNumberScheduled": len(pods),
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": sum(
            1 for p in pods if p["metadata"]["labels"].get(REVISION_LABEL) == revision
        ),
    }
    if nodes - ready > 0:
        status["numberUnavailable"] = nodes - ready
    return status
