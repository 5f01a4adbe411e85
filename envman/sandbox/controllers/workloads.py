"""Helpers shared by the fake controllers: pod construction, readiness, hashes, conditions."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from typing import Any

from envman.sandbox.api import now_iso

Obj = dict[str, Any]

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
HASH_LABEL = "pod-template-hash"
REVISION_LABEL = "controller-revision-hash"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def template_hash(template: Obj, size: int = 10) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:size])


def statefulset_revision(sts: Obj) -> str:
    """The `controller-revision-hash` of a StatefulSet's current template."""
    return f"{sts['metadata']['name']}-{template_hash(sts['spec']['template'])}"


def daemonset_revision(ds: Obj) -> str:
    """The `controller-revision-hash` of a DaemonSet's current template."""
    return template_hash(ds["spec"]["template"])


def suffix() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(5))


def owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_from_template(owner: Obj, template: Obj, name: str, labels: Obj) -> Obj:
    meta = template.get("metadata") or {}
    pod: Obj = {
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(meta.get("labels") or {}), **labels},
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": copy.deepcopy(template.get("spec") or {}),
    }
    if meta.get("annotations"):
        pod["metadata"]["annotations"] = dict(meta["annotations"])
    return pod


def pinned_node(pod: Obj) -> str | None:
    """The node a pod is bound to, or pinned to by the node affinity a DaemonSet gives it."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for match in term.get("matchFields") or []:
            if match.get("key") == "metadata.name" and match.get("values"):
                return str(match["values"][0])
    return None


def pin_to_node(pod: Obj, node: str) -> None:
    """Require the pod on `node`, as the DaemonSet controller does (the scheduler then binds it)."""
    affinity = pod["spec"].setdefault("affinity", {})
    node_affinity = dict(affinity.get("nodeAffinity") or {})
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    affinity["nodeAffinity"] = node_affinity


def is_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


def condition(ctype: str, status: bool, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": ctype, "status": "True" if status else "False"}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def merge_conditions(old: list[Obj] | None, new: list[Obj], *, update_time: bool = False) -> list[Obj]:
    """New conditions keeping the timestamps of those whose status and reason are unchanged."""
    previous = {c.get("type"): c for c in old or []}
    stamp = now_iso()
    out = []
    for cond in new:
        before = previous.get(cond["type"])
        same = before is not None and all(
            before.get(k) == cond.get(k) for k in ("status", "reason", "message")
        )
        stamped = dict(cond)
        stamped["lastTransitionTime"] = (
            before.get("lastTransitionTime", stamp) if (before and same) else stamp
        )
        if update_time:
            stamped["lastUpdateTime"] = before.get("lastUpdateTime", stamp) if (before and same) else stamp
        out.append(stamped)
    return out


def resolve_percent(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(value or 0)


def rollout_bounds(spec: Obj, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) of a RollingUpdate strategy, as the controller resolves them."""
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = resolve_percent(rolling.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = resolve_percent(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable
