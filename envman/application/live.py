"""Read the live state of many clusters at once, and the desired state to compare it with."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.releases import read_cluster_state
from envman.adapters.target import ClusterTarget
from envman.application.secrets import resolve_releases
from envman.kit.errors import KubeError
from envman.kit.redact import Redactor
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.live import ClusterState
from envman.plan.select import Selection
from envman.plan.values import is_enabled


async def read_states(
    clients: KubeClients, targets: Mapping[str, ClusterTarget], clusters: Sequence[str]
) -> dict[str, ClusterState]:
    """Every cluster read concurrently; any unreachable cluster fails the whole read, naming
    every cluster that failed (never a partial state presented as whole)."""
    results = await asyncio.gather(
        *(asyncio.to_thread(read_cluster_state, clients, targets[c]) for c in clusters),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures:
        if not isinstance(failure, KubeError):
            raise failure
    if failures:
        raise KubeError("\n".join(str(f) for f in failures))
    return {state.cluster: state for state in results if isinstance(state, ClusterState)}


def desired_state(
    fleet: Fleet, selection: Selection, redactor: Redactor
) -> dict[str, dict[str, DesiredRelease]]:
    """cluster -> app -> desired release, for the selected clusters and enabled apps."""
    pairs = [
        (cluster, app)
        for cluster in selection.clusters
        for layer in fleet.layers[cluster]
        for app in layer
        if app in selection.apps and is_enabled(fleet.env, app, cluster)
    ]
    desired: dict[str, dict[str, DesiredRelease]] = {c: {} for c in selection.clusters}
    for release in resolve_releases(fleet.env, pairs, redactor):
        desired[release.cluster][release.app] = release
    return desired
