"""The hub's Applications as the plan reads them (pure): each destination cluster's state
from its Applications and its verification record, and the plan with the drift Argo CD
reports (objects `OutOfSync`) on each release."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from envman.plan.argocd.applications import CLUSTER_LABEL
from envman.plan.argocd.names import label_value
from envman.plan.argocd.reading import live_release, release_key, reported_drift
from envman.plan.cluster_state import ClusterState, WaveVerification
from envman.plan.drift import ObjectDrift
from envman.plan.model import Action, ClusterPlan, Plan, ReleasePlan, WavePlan

Obj = Mapping[str, Any]
Keyed = dict[tuple[str, str], Obj]
"""(namespace, release) -> Application."""


def by_cluster(applications: Iterable[Obj], clusters: Iterable[str]) -> dict[str, Keyed]:
    """The Applications of each of `clusters` (by their cluster label), keyed by release."""
    named = {label_value(c): c for c in clusters}
    found: dict[str, Keyed] = {c: {} for c in named.values()}
    for obj in applications:
        cluster = named.get(((obj.get("metadata") or {}).get("labels") or {}).get(CLUSTER_LABEL, ""))
        if cluster is not None:
            found[cluster][release_key(obj)] = obj
    return found


def cluster_state(cluster: str, applications: Keyed, records: Mapping[str, WaveVerification]) -> ClusterState:
    """A destination cluster's releases as its Applications describe them (no live objects
    read: Argo CD reports drift itself) and its verification record."""
    releases = {key: live_release(obj) for key, obj in applications.items()}
    return ClusterState(cluster, releases, None, records)


def with_reported_drift(plan: Plan, applications: Mapping[str, Keyed]) -> Plan:
    """`plan` with each release's Argo CD drift; a drifted release is an upgrade (a sync
    repairs it)."""

    def release(r: ReleasePlan) -> ReleasePlan:
        obj = applications.get(r.cluster, {}).get((r.namespace, r.release))
        drift: tuple[ObjectDrift, ...] = reported_drift(obj) if obj is not None and r.desired else ()
        if not drift:
            return r
        action = Action.UPGRADE if r.action is Action.UNCHANGED else r.action
        return replace(r, drift=drift, action=action)

    def cluster(c: ClusterPlan) -> ClusterPlan:
        return replace(c, layers=tuple(tuple(release(r) for r in layer) for layer in c.layers))

    def wave(w: WavePlan) -> WavePlan:
        return replace(w, clusters=tuple(cluster(c) for c in w.clusters))

    return replace(plan, waves=tuple(wave(w) for w in plan.waves))
