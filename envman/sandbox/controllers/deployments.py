"""The Deployment controller: a ReplicaSet for each pod template, rolled out by the Recreate or
RollingUpdate strategy, old ones pruned to the revision history limit, and the status (with the
Available and Progressing conditions) a real controller reports.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.queue import WorkQueue
from envman.sandbox.controllers.replicasets import REPLICASETS
from envman.sandbox.controllers.workloads import (
    HASH_LABEL,
    REVISION_ANNOTATION,
    condition,
    merge_conditions,
    owner_ref,
    rollout_bounds,
    template_hash,
)
from envman.sandbox.events import Recorder

Obj = dict[str, Any]

DEPLOYMENTS = "apps/deployments"
DEADLINE_SLACK = 0.01
"""Seconds past a progress deadline the Deployment is synced again, to find it exceeded."""


class Deployments(Controller):
    """Rolls every Deployment out through its ReplicaSets."""

    key = DEPLOYMENTS
    owns = REPLICASETS
    kind = ("apps", "Deployment")
    component = "deployment-controller"

    def __init__(self, api: Api, queue: WorkQueue, events: Recorder) -> None:
        super().__init__(api, queue, events)
        self._progress: dict[tuple[str, str], tuple[float, Any]] = {}

    def forget(self, namespace: str, name: str) -> None:
        self._progress.pop((namespace, name), None)

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        new, changed = self._new_replicaset(obj, owned)
        if changed:  # synced again on its event, with the ReplicaSet as stored
            return
        olds = [rs for rs in owned if rs is not new]
        if not obj["spec"].get("paused") and all(_observed(rs) for rs in owned):
            self._roll(obj, new, olds)
        self._prune_history(obj, olds)
        self.save_status(DEPLOYMENTS, obj, self._status(obj, new, owned))

    # --- the new ReplicaSet -------------------------------------------------------------

    def _new_replicaset(self, dep: Obj, sets: list[Obj]) -> tuple[Obj, bool]:
        """The ReplicaSet of the current template (made the newest revision), and whether it changed."""
        template = dep["spec"]["template"]
        revisions = [
            int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, 0)) for rs in sets
        ]
        top = max(revisions, default=0)
        for rs, revision in zip(sets, revisions, strict=True):
            if _without_hash(rs["spec"]["template"]) == template:
                return rs, revision != top and self._promote(rs, top + 1)
        return self.api.insert("replicasets", _replicaset_for(dep, top + 1), "apps"), True

    def _promote(self, rs: Obj, revision: int) -> bool:
        before = copy.deepcopy(rs)
        rs["metadata"]["annotations"][REVISION_ANNOTATION] = str(revision)
        return self.save(REPLICASETS, rs, before)

    # --- rolling out --------------------------------------------------------------------

    def _scale(self, dep: Obj, rs: Obj, replicas: int) -> None:
        old = int(rs["spec"].get("replicas", 0))
        if old == replicas:
            return
        before = copy.deepcopy(rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["generation"] = int(rs["metadata"].get("generation", 1)) + 1
        way = "up" if replicas > old else "down"
        message = f"Scaled {way} replica set {rs['metadata']['name']} from {old} to {replicas}"
        self.record(dep, "ScalingReplicaSet", message)
        self.save(REPLICASETS, rs, before)

    def _roll(self, dep: Obj, new: Obj, olds: list[Obj]) -> None:
        desired = int(dep["spec"].get("replicas", 1))
        if (dep["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._recreate(dep, new, olds, desired)
        else:
            self._rolling_update(dep, new, olds, desired)

    def _recreate(self, dep: Obj, new: Obj, olds: list[Obj], desired: int) -> None:
        for rs in olds:
            self._scale(dep, rs, 0)
        if sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in olds) == 0:
            self._scale(dep, new, desired)

    def _rolling_update(self, dep: Obj, new: Obj, olds: list[Obj], desired: int) -> None:
        old_total = sum(int(rs["spec"].get("replicas", 0)) for rs in olds)
        surge, unavailable = rollout_bounds(dep["spec"], desired)
        current = int(new["spec"].get("replicas", 0))
        target = min(desired, max(current, desired + surge - old_total))
        self._scale(dep, new, target)
        ready = sum(_ready_count(rs) for rs in [new, *olds])
        budget = max(0, ready - (desired - unavailable))
        for rs in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
            replicas = int(rs["spec"].get("replicas", 0))
            unready = max(0, replicas - _ready_count(rs))
            cut = min(replicas, unready + budget)
            if _ready_count(new) >= desired:
                cut = replicas
            budget -= max(0, cut - unready)
            self._scale(dep, rs, replicas - cut)

    def _prune_history(self, dep: Obj, olds: list[Obj]) -> None:
        limit = int(dep["spec"].get("revisionHistoryLimit", 10))
        idle = [
            rs
            for rs in olds
            if int(rs["spec"].get("replicas", 0)) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0
        ]
        idle.sort(key=lambda rs: int(rs["metadata"]["annotations"].get(REVISION_ANNOTATION, 0)))
        for rs in idle[: max(0, len(idle) - limit)]:
            self.delete("replicasets", rs, "apps")

    # --- status -------------------------------------------------------------------------

    def _status(self, dep: Obj, new: Obj, sets: list[Obj]) -> Obj:
        desired = int(dep["spec"].get("replicas", 1))
        counts = {
            key: sum(int((rs.get("status") or {}).get(key, 0)) for rs in sets)
            for key in ("replicas", "readyReplicas", "availableReplicas")
        }
        updated = int((new.get("status") or {}).get("replicas", 0))
        _, unavailable = rollout_bounds(dep["spec"], desired)
        complete = (
            updated == desired == counts["replicas"] == counts["availableReplicas"]
            and _ready_count(new) >= desired
        )
        progressing = self._progressing(dep, complete, (updated, counts["availableReplicas"]))
        conditions = merge_conditions(
            (dep.get("status") or {}).get("conditions"),
            [
                _available(counts["availableReplicas"] >= desired - unavailable),
                progressing | {"message": progressing["message"].format(rs=new["metadata"]["name"])},
            ],
            update_time=True,
        )
        status: Obj = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": counts["replicas"],
            "updatedReplicas": updated,
            "readyReplicas": counts["readyReplicas"],
            "availableReplicas": counts["availableReplicas"],
            "conditions": conditions,
        }
        if desired - counts["availableReplicas"] > 0:
            status["unavailableReplicas"] = desired - counts["availableReplicas"]
        return status

    def _progressing(self, dep: Obj, complete: bool, marker: Any) -> Obj:
        """The Progressing condition; `marker` is what counts as progress when it changes."""
        meta = dep["metadata"]
        ident = (meta["namespace"], meta["name"])
        if complete:
            self.queue.cancel((DEPLOYMENTS, *ident))
            return condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable",
                'ReplicaSet "{rs}" has successfully progressed.',
            )
        marker = (meta["uid"], meta.get("generation"), marker)
        since, seen = self._progress.get(ident, (time.monotonic(), None))
        if seen != marker:
            since = time.monotonic()
            self._progress[ident] = (since, marker)
        deadline = since + int(dep["spec"].get("progressDeadlineSeconds", 600))
        if time.monotonic() > deadline:
            return condition(
                "Progressing",
                False,
                "ProgressDeadlineExceeded",
                'ReplicaSet "{rs}" has timed out progressing.',
            )
        self.queue.add_at((DEPLOYMENTS, *ident), deadline + DEADLINE_SLACK)
        return condition("Progressing", True, "ReplicaSetUpdated", 'ReplicaSet "{rs}" is progressing.')


def _replicaset_for(dep: Obj, revision: int) -> Obj:
    """A new ReplicaSet (at zero replicas) for the Deployment's current template."""
    template = dep["spec"]["template"]
    hashed = template_hash(template)
    labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hashed}
    selector = dict(dep["spec"].get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: hashed}
    rs_template = copy.deepcopy(template)
    rs_template.setdefault("metadata", {})["labels"] = labels
    replicas = int(dep["spec"].get("replicas", 1))
    return {
        "metadata": {
            "name": f"{dep['metadata']['name']}-{hashed}",
            "namespace": dep["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_ref(dep)],
            "annotations": {
                REVISION_ANNOTATION: str(revision),
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + 1),
            },
        },
        "spec": {"replicas": 0, "selector": selector, "template": rs_template},
    }


def _available(available: bool) -> Obj:
    if available:
        return condition(
            "Available", True, "MinimumReplicasAvailable", "Deployment has minimum availability."
        )
    return condition(
        "Available", False, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
    )


def _without_hash(template: Obj) -> Obj:
    result = copy.deepcopy(template)
    labels = (result.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return result


def _observed(rs: Obj) -> bool:
    """Whether the ReplicaSet controller has reported on the ReplicaSet's latest spec: until
    it has, its ready count is of a replica count that no longer holds, and scaling on it
    could take down more pods than `maxUnavailable` allows (client-go's expectations)."""
    observed = (rs.get("status") or {}).get("observedGeneration")
    return observed is not None and observed == rs["metadata"].get("generation")


def _ready_count(rs: Obj) -> int:
    return int((rs.get("status") or {}).get("readyReplicas", 0))
