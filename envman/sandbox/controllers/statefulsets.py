"""The StatefulSet controller: pods named by ordinal, created in order (OrderedReady) or all at
once (Parallel), a PersistentVolumeClaim per volume claim template, updates from the highest
ordinal down to the partition, and the revisions a real controller reports.
"""

from __future__ import annotations

import copy
from typing import Any

from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.workloads import (
    REVISION_LABEL,
    is_ready,
    pod_from_template,
    statefulset_revision,
)

Obj = dict[str, Any]

STATEFULSETS = "apps/statefulsets"


class StatefulSets(Controller):
    """Keeps the ordinal pods of every StatefulSet."""

    key = STATEFULSETS
    kind = ("apps", "StatefulSet")
    component = "statefulset-controller"

    def created(self, pod: str, owner: Obj) -> str:
        return f"create Pod {pod} in StatefulSet {owner['metadata']['name']} successful"

    def deleted(self, pod: str, owner: Obj) -> str:
        return f"delete Pod {pod} in StatefulSet {owner['metadata']['name']} successful"

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        pods = {_ordinal(p): p for p in owned}
        revision = statefulset_revision(obj)
        self._sync_pods(obj, pods, revision)
        self.save_status(STATEFULSETS, obj, _status(obj, pods, revision))

    def _sync_pods(self, sts: Obj, pods: dict[int, Obj], revision: str) -> None:
        """Create, delete or update at most what the pod management policy allows in one sync."""
        replicas = int(sts["spec"].get("replicas", 1))
        ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                self._create_pod(sts, ordinal, revision)
                if ordered:
                    return
            elif ordered and not is_ready(pod):
                return
        for ordinal in sorted((o for o in pods if o >= replicas), reverse=True):
            self.delete_pod(sts, pods.pop(ordinal))
            return
        if len(pods) == replicas and all(is_ready(p) for p in pods.values()):
            self._update(sts, pods, revision)

    def _update(self, sts: Obj, pods: dict[int, Obj], revision: str) -> None:
        """Delete the highest stale pod at or above the partition (it comes back updated)."""
        strategy = sts["spec"].get("updateStrategy") or {}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        stale = [
            o
            for o, p in pods.items()
            if o >= partition and p["metadata"]["labels"].get(REVISION_LABEL) != revision
        ]
        if stale and strategy.get("type") != "OnDelete":
            self.delete_pod(sts, pods.pop(max(stale)))

    def _create_pod(self, sts: Obj, ordinal: int, revision: str) -> None:
        name = f"{sts['metadata']['name']}-{ordinal}"
        labels = {
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        pod = pod_from_template(sts, sts["spec"]["template"], name, labels)
        pod["spec"]["hostname"] = name
        if sts["spec"].get("serviceName"):
            pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
        volumes = pod["spec"].setdefault("volumes", [])
        for claim in sts["spec"].get("volumeClaimTemplates") or []:
            claim_name = f"{claim['metadata']['name']}-{name}"
            volumes.append(
                {"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}}
            )
            self._ensure_claim(sts, claim, claim_name, name)
        self.insert_pod(sts, pod)

    def _ensure_claim(self, sts: Obj, claim: Obj, claim_name: str, pod: str) -> None:
        """Create the PersistentVolumeClaim of a volume claim template unless it exists."""
        namespace = sts["metadata"]["namespace"]
        if self.api.store.exists("/persistentvolumeclaims", namespace, claim_name):
            return
        labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        self.api.insert(
            "persistentvolumeclaims",
            {
                "metadata": {"name": claim_name, "namespace": namespace, "labels": dict(labels)},
                "spec": {**copy.deepcopy(claim.get("spec") or {}), "storageClassName": "standard"},
            },
        )
        message = f"create Claim {claim_name} Pod {pod} in StatefulSet {sts['metadata']['name']} success"
        self.record(sts, "SuccessfulCreate", message)


def _ordinal(pod: Obj) -> int:
    tail = pod["metadata"]["name"].rpartition("-")[2]
    return int(tail) if tail.isdigit() else -1


def _status(sts: Obj, pods: dict[int, Obj], revision: str) -> Obj:
    old = sts.get("status") or {}
    updated = sum(1 for p in pods.values() if p["metadata"]["labels"].get(REVISION_LABEL) == revision)
    replicas = int(sts["spec"].get("replicas", 1))
    current_revision = old.get("currentRevision") or revision
    if updated == len(pods) == replicas:
        current_revision = revision
    current = sum(1 for p in pods.values() if p["metadata"]["labels"].get(REVISION_LABEL) == current_revision)
    ready = sum(1 for p in pods.values() if is_ready(p))
    return {
        "observedGeneration": sts["metadata"].get("generation", 1),
        "replicas": len(pods),
        "readyReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": current_revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }
