"""Fake controllers: Deployments roll out through ReplicaSets, StatefulSets, DaemonSets and
Jobs create pods, and every workload reports the status a real controller would.

One thread per cluster runs passes over all objects when something changed or a pod is due.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from envman.sandbox.api import Api, now_iso
from envman.sandbox.pods import PodLifecycle
from envman.sandbox.workloads import (
    HASH_LABEL,
    REVISION_ANNOTATION,
    REVISION_LABEL,
    by_owner,
    condition,
    is_ready,
    merge_conditions,
    owner_ref,
    phase,
    pod_from_template,
    rollout_bounds,
    suffix,
    template_hash,
)

Obj = dict[str, Any]

DEPLOYMENTS, REPLICASETS = "apps/deployments", "apps/replicasets"
STATEFULSETS, DAEMONSETS, JOBS = "apps/statefulsets", "apps/daemonsets", "batch/jobs"
MAX_PASSES = 30


class Controllers:
    """The controller loop of one cluster."""

    def __init__(self, api: Api, ready_delay: float) -> None:
        self.api = api
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.pods = PodLifecycle(api, ready_delay, self._wake)
        self._progress: dict[str, tuple[float, Any]] = {}
        self._thread = threading.Thread(target=self._run, daemon=True, name="controllers")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.pods.next_due()
            timeout = 1.0 if due is None else min(1.0, max(0.0, due - time.monotonic()))
            self._wake.wait(timeout)
            self._wake.clear()
            for _ in range(MAX_PASSES):
                if self._stop.is_set() or not self.reconcile():
                    break

    def reconcile(self) -> bool:
        """One pass over every workload; True when anything changed."""
        with self.api.store.lock:
            steps = (
                self.pods.reconcile,
                self._replicasets,
                self._deployments,
                self._statefulsets,
                self._daemonsets,
                self._jobs,
                self._budgets,
            )
            results = [step() for step in steps]
            return any(results)

    def _save(self, key: str, obj: Obj, before: Obj) -> bool:
        if obj == before:
            return False
        self.api.store.put(key, obj)
        return True

    def _save_status(self, key: str, obj: Obj, status: Obj) -> bool:
        if obj.get("status") == status:
            return False
        obj["status"] = status
        self.api.store.put(key, obj)
        return True

    def _create_pod(self, owner: Obj, template: Obj, name: str, labels: Obj) -> None:
        self.api.insert("pods", pod_from_template(owner, template, name, labels))

    def _delete(self, plural: str, obj: Obj, group: str = "") -> None:
        self.api.remove(self.api.rtype(plural, group), obj, orphan=False)

    def _live_pods(self) -> dict[str, list[Obj]]:
        return by_owner([p for p in self.api.store.items("/pods") if phase(p) not in ("Failed",)])

    # --- ReplicaSets -----------------------------------------------------------------

    def _replicasets(self) -> bool:
        pods_by_owner = self._live_pods()
        changed = False
        for rs in self.api.store.items(REPLICASETS):
            pods = pods_by_owner.get(rs["metadata"]["uid"], [])
            desired = int(rs["spec"].get("replicas", 1))
            for _ in range(desired - len(pods)):
                name = f"{rs['metadata']['name']}-{suffix()}"
                self._create_pod(rs, rs["spec"]["template"], name, {})
                changed = True
            if len(pods) > desired:
                pods.sort(key=lambda p: (is_ready(p), p["metadata"]["creationTimestamp"]))
                for pod in pods[: len(pods) - desired]:
                    self._delete("pods", pod)
                changed = True
            ready = sum(1 for p in pods if is_ready(p))
            status = {
                "replicas": len(pods),
                "fullyLabeledReplicas": len(pods),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": rs["metadata"].get("generation", 1),
            }
            changed |= self._save_status(REPLICASETS, rs, status)
        return changed

    # --- Deployments ------------------------------------------------------------------

    def _deployments(self) -> bool:
        owned = by_owner(self.api.store.items(REPLICASETS))
        changed = False
        for dep in self.api.store.items(DEPLOYMENTS):
            sets = owned.get(dep["metadata"]["uid"], [])
            new, created = self._new_replicaset(dep, sets)
            if created:
                changed = True
                continue
            olds = [rs for rs in sets if rs is not new]
            if not dep["spec"].get("paused"):
                changed |= self._roll(dep, new, olds)
            changed |= self._prune_history(dep, olds)
            changed |= self._save_status(DEPLOYMENTS, dep, self._deployment_status(dep, new, sets))
        return changed

    def _new_replicaset(self, dep: Obj, sets: list[Obj]) -> tuple[Obj, bool]:
        template = dep["spec"]["template"]
        revisions = [
            int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, 0)) for rs in sets
        ]
        top = max(revisions, default=0)
        for rs, revision in zip(sets, revisions, strict=True):
            if _without_hash(rs["spec"]["template"]) == template:
                if revision != top:
                    before = _copy(rs)
                    rs["metadata"]["annotations"][REVISION_ANNOTATION] = str(top + 1)
                    return rs, self._save(REPLICASETS, rs, before)
                return rs, False
        hashed = template_hash(template)
        labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hashed}
        selector = dict(dep["spec"].get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: hashed}
        rs_template = _copy(template)
        rs_template.setdefault("metadata", {})["labels"] = labels
        replicas = int(dep["spec"].get("replicas", 1))
        rs = {
            "metadata": {
                "name": f"{dep['metadata']['name']}-{hashed}",
                "namespace": dep["metadata"]["namespace"],
                "labels": labels,
                "ownerReferences": [owner_ref(dep)],
                "annotations": {
                    REVISION_ANNOTATION: str(top + 1),
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                },
            },
            "spec": {"replicas": 0, "selector": selector, "template": rs_template},
        }
        return self.api.insert("replicasets", rs, "apps"), True

    def _scale(self, rs: Obj, replicas: int) -> bool:
        if int(rs["spec"].get("replicas", 0)) == replicas:
            return False
        before = _copy(rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["generation"] = int(rs["metadata"].get("generation", 1)) + 1
        return self._save(REPLICASETS, rs, before)

    def _roll(self, dep: Obj, new: Obj, olds: list[Obj]) -> bool:
        desired = int(dep["spec"].get("replicas", 1))
        old_total = sum(int(rs["spec"].get("replicas", 0)) for rs in olds)
        if (dep["spec"].get("strategy") or {}).get("type") == "Recreate":
            scaled = [self._scale(rs, 0) for rs in olds]
            changed = any(scaled)
            alive = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in olds)
            return changed | (alive == 0 and self._scale(new, desired))
        surge, unavailable = rollout_bounds(dep["spec"], desired)
        current = int(new["spec"].get("replicas", 0))
        target = min(desired, max(current, desired + surge - old_total))
        changed = self._scale(new, target)
        ready = sum(_ready_count(rs) for rs in [new, *olds])
        budget = max(0, ready - (desired - unavailable))
        for rs in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
            replicas = int(rs["spec"].get("replicas", 0))
            unready = max(0, replicas - _ready_count(rs))
            cut = min(replicas, unready + budget)
            if _ready_count(new) >= desired:
                cut = replicas
            budget -= max(0, cut - unready)
            changed |= self._scale(rs, replicas - cut)
        return changed

    def _prune_history(self, dep: Obj, olds: list[Obj]) -> bool:
        limit = int(dep["spec"].get("revisionHistoryLimit", 10))
        idle = [
            rs
            for rs in olds
            if int(rs["spec"].get("replicas", 0)) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0
        ]
        idle.sort(key=lambda rs: int(rs["metadata"]["annotations"].get(REVISION_ANNOTATION, 0)))
        for rs in idle[: max(0, len(idle) - limit)]:
            self._delete("replicasets", rs, "apps")
        return len(idle) > limit

    def _deployment_status(self, dep: Obj, new: Obj, sets: list[Obj]) -> Obj:
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
        rs_name = new["metadata"]["name"]
        progressing = self._progressing(dep, complete, (updated, counts["availableReplicas"]))
        old = dep.get("status") or {}
        conditions = merge_conditions(
            old.get("conditions"),
            [
                condition(
                    "Available",
                    counts["availableReplicas"] >= desired - unavailable,
                    "MinimumReplicasAvailable"
                    if counts["availableReplicas"] >= desired - unavailable
                    else "MinimumReplicasUnavailable",
                    "Deployment has minimum availability."
                    if counts["availableReplicas"] >= desired - unavailable
                    else "Deployment does not have minimum availability.",
                ),
                progressing | {"message": progressing["message"].format(rs=rs_name)},
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
        if complete:
            return condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable",
                'ReplicaSet "{rs}" has successfully progressed.',
            )
        uid = dep["metadata"]["uid"]
        marker = (dep["metadata"].get("generation"), marker)
        since, seen = self._progress.get(uid, (time.monotonic(), None))
        if seen != marker:
            since = time.monotonic()
            self._progress[uid] = (since, marker)
        if time.monotonic() - since > int(dep["spec"].get("progressDeadlineSeconds", 600)):
            return condition(
                "Progressing",
                False,
                "ProgressDeadlineExceeded",
                'ReplicaSet "{rs}" has timed out progressing.',
            )
        return condition("Progressing", True, "ReplicaSetUpdated", 'ReplicaSet "{rs}" is progressing.')

    # --- StatefulSets -----------------------------------------------------------------

    def _statefulsets(self) -> bool:
        pods_by_owner = self._live_pods()
        changed = False
        for sts in self.api.store.items(STATEFULSETS):
            pods = {_ordinal(p): p for p in pods_by_owner.get(sts["metadata"]["uid"], [])}
            revision = f"{sts['metadata']['name']}-{template_hash(sts['spec']['template'])}"
            changed |= self._sts_pods(sts, pods, revision)
            changed |= self._save_status(STATEFULSETS, sts, _sts_status(sts, pods, revision))
        return changed

    def _sts_pods(self, sts: Obj, pods: dict[int, Obj], revision: str) -> bool:
        replicas = int(sts["spec"].get("replicas", 1))
        ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                self._create_sts_pod(sts, ordinal, revision)
                if ordered:
                    return True
            elif ordered and not is_ready(pod):
                return False
        for ordinal in sorted((o for o in pods if o >= replicas), reverse=True):
            self._delete("pods", pods.pop(ordinal))
            return True
        if len(pods) < replicas or not all(is_ready(p) for p in pods.values()):
            return any(o not in pods for o in range(replicas))
        partition = int(
            ((sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0)
        )
        stale = [
            o
            for o, p in pods.items()
            if o >= partition and p["metadata"]["labels"].get(REVISION_LABEL) != revision
        ]
        if stale and (sts["spec"].get("updateStrategy") or {}).get("type") != "OnDelete":
            self._delete("pods", pods.pop(max(stale)))
            return True
        return False

    def _create_sts_pod(self, sts: Obj, ordinal: int, revision: str) -> None:
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
            namespace = sts["metadata"]["namespace"]
            if self.api.store.get("/persistentvolumeclaims", namespace, claim_name) is None:
                labels_sel = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
                self.api.insert(
                    "persistentvolumeclaims",
                    {
                        "metadata": {"name": claim_name, "namespace": namespace, "labels": dict(labels_sel)},
                        "spec": {**_copy(claim.get("spec") or {}), "storageClassName": "standard"},
                    },
                )
        self.api.insert("pods", pod)

    # --- DaemonSets -------------------------------------------------------------------

    def _daemonsets(self) -> bool:
        pods_by_owner = self._live_pods()
        nodes = [n["metadata"]["name"] for n in self.api.store.items("/nodes")]
        changed = False
        for ds in self.api.store.items(DAEMONSETS):
            pods = pods_by_owner.get(ds["metadata"]["uid"], [])
            revision = template_hash(ds["spec"]["template"])
            placed = {p["spec"].get("nodeName") for p in pods}
            for node in nodes:
                if node not in placed:
                    labels = {
                        REVISION_LABEL: revision,
                        "pod-template-generation": str(ds["metadata"].get("generation", 1)),
                    }
                    pod = pod_from_template(
                        ds, ds["spec"]["template"], f"{ds['metadata']['name']}-{suffix()}", labels
                    )
                    pod["spec"]["nodeName"] = node
                    self.api.insert("pods", pod)
                    changed = True
            stale = [p for p in pods if p["metadata"]["labels"].get(REVISION_LABEL) != revision]
            if stale and all(is_ready(p) for p in pods):
                self._delete("pods", stale[0])
                changed = True
            changed |= self._save_status(DAEMONSETS, ds, _ds_status(ds, pods, revision, len(nodes)))
        return changed

    # --- Jobs ------------------------------------------------------------------------

    def _jobs(self) -> bool:
        pods_by_owner = by_owner(self.api.store.items("/pods"))
        changed = False
        for job in self.api.store.items(JOBS):
            status = dict(job.get("status") or {})
            if any(
                c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                for c in status.get("conditions") or []
            ) or job["spec"].get("suspend"):
                continue
            pods = pods_by_owner.get(job["metadata"]["uid"], [])
            succeeded = sum(1 for p in pods if phase(p) == "Succeeded")
            active = [p for p in pods if phase(p) not in ("Succeeded", "Failed")]
            completions = int(job["spec"].get("completions", 1))
            wanted = min(int(job["spec"].get("parallelism", 1)), completions - succeeded)
            for _ in range(max(0, wanted - len(active))):
                self._create_pod(job, job["spec"]["template"], f"{job['metadata']['name']}-{suffix()}", {})
                changed = True
            status.setdefault("startTime", now_iso())
            status.update(
                {
                    "active": len(active),
                    "succeeded": succeeded,
                    "terminating": 0,
                    "ready": sum(1 for p in active if is_ready(p)),
                    "uncountedTerminatedPods": {},
                }
            )
            if succeeded >= completions:
                status.update(
                    {
                        "active": 0,
                        "ready": 0,
                        "completionTime": now_iso(),
                        "conditions": merge_conditions(
                            None,
                            [
                                condition(
                                    "SuccessCriteriaMet",
                                    True,
                                    "CompletionsReached",
                                    "Reached expected number of succeeded pods",
                                ),
                                condition(
                                    "Complete",
                                    True,
                                    "CompletionsReached",
                                    "Reached expected number of succeeded pods",
                                ),
                            ],
                        ),
                    }
                )
            changed |= self._save_status(JOBS, job, status)
        return changed

    # --- PodDisruptionBudgets and HPAs --------------------------------------------------

    def _budgets(self) -> bool:
        changed = False
        for pdb in self.api.store.items("policy/poddisruptionbudgets"):
            status = dict(pdb.get("status") or {})
            status["observedGeneration"] = pdb["metadata"].get("generation", 1)
            status.setdefault("disruptionsAllowed", 0)
            status.setdefault("currentHealthy", 0)
            status.setdefault("desiredHealthy", 0)
            status.setdefault("expectedPods", 0)
            changed |= self._save_status("policy/poddisruptionbudgets", pdb, status)
        for hpa in self.api.store.items("autoscaling/horizontalpodautoscalers"):
            replicas = int(hpa.get("spec", {}).get("minReplicas", 1))
            status = {"currentReplicas": replicas, "desiredReplicas": replicas}
            changed |= self._save_status("autoscaling/horizontalpodautoscalers", hpa, status)
        return changed


def _copy(obj: Obj) -> Obj:
    return copy.deepcopy(obj)


def _without_hash(template: Obj) -> Obj:
    result = _copy(template)
    labels = (result.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return result


def _ready_count(rs: Obj) -> int:
    return int((rs.get("status") or {}).get("readyReplicas", 0))


def _ordinal(pod: Obj) -> int:
    tail = pod["metadata"]["name"].rpartition("-")[2]
    return int(tail) if tail.isdigit() else -1


def _sts_status(sts: Obj, pods: dict[int, Obj], revision: str) -> Obj:
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


def _ds_status(ds: Obj, pods: list[Obj], revision: str, nodes: int) -> Obj:
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
