"""Read the live state of many clusters at once, and the desired state to compare it with."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.releases import list_storage
from envman.adapters.kube.state import read_live
from envman.adapters.target import ClusterTarget
from envman.application.chart_lock import content_digest, key_of, read_lock
from envman.application.charts import chart_digest
from envman.application.secrets import SecretUse, resolve_releases
from envman.kit.errors import KubeError
from envman.kit.limits import gather_all
from envman.kit.redact import Redactor
from envman.plan.cluster_state import ClusterState, LiveRelease
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.secrets import Decrypt
from envman.plan.select import Selection
from envman.plan.values import is_enabled
from envman.spec.chart_lock import ChartLock
from envman.spec.checks import is_local_chart

Desired = dict[str, dict[str, DesiredRelease]]
"""cluster -> app -> desired release."""


async def read_states(
    clients: KubeClients,
    targets: Mapping[str, ClusterTarget],
    desired: Mapping[str, Mapping[str, DesiredRelease]],
    environment: str,
    *,
    refresh: bool = True,
    arrived: Callable[[ClusterState], None] | None = None,
) -> dict[str, ClusterState]:
    """Every cluster of `desired` read concurrently; any unreachable cluster fails the whole
    read, naming every cluster that failed (never a partial state presented as whole).
    `arrived` is told each cluster's state as soon as it is read (to start work on it)."""

    async def read(cluster: str, releases: Mapping[str, DesiredRelease]) -> ClusterState:
        wanted = {(r.namespace, r.release) for r in releases.values()}
        state = await asyncio.to_thread(
            read_live, clients, targets[cluster], environment, wanted, refresh=refresh
        )
        if arrived is not None:
            arrived(state)
        return state

    results = await gather_all((read(c, releases) for c, releases in desired.items()), KubeError)
    return {state.cluster: state for state in results}


def desired_state(
    fleet: Fleet,
    selection: Selection,
    redactor: Redactor,
    *,
    secrets: SecretUse = "require",
    decrypt: Decrypt | None = None,
) -> Desired:
    """cluster -> app -> desired release, for the selected clusters and enabled apps, with
    the content digest of each local chart and of each remote chart pinned in `envman.lock`
    (`fetch_remote_charts` checks the archive against it); `secrets` and `decrypt` (SOPS
    files) as `resolve_releases` takes them."""
    pairs = [
        (cluster, app)
        for cluster in selection.clusters
        for layer in fleet.layers[cluster]
        for app in layer
        if app in selection.apps and is_enabled(fleet.env, app, cluster)
    ]
    desired: Desired = {c: {} for c in selection.clusters}
    digests: dict[str, str] = {}
    lock: ChartLock | None = None
    for resolved in resolve_releases(fleet.env, pairs, redactor, secrets=secrets, decrypt=decrypt):
        release = resolved
        if is_local_chart(resolved.chart_spec, fleet.env):
            ref = resolved.chart.ref
            digests[ref] = digests.get(ref) or chart_digest(Path(ref))
            release = replace(resolved, chart_digest=digests[ref])
        else:
            lock = lock or read_lock(fleet.env.root)
            pin = lock.pins.get(key_of(resolved.chart))
            release = replace(resolved, chart_digest=content_digest(pin.digest) if pin else None)
        desired[release.cluster][release.app] = release
    return desired


def releases_of(desired: Mapping[str, Mapping[str, DesiredRelease]]) -> Sequence[DesiredRelease]:
    return [r for per_cluster in desired.values() for r in per_cluster.values()]


async def read_histories(
    clients: KubeClients, targets: Mapping[str, ClusterTarget], wanted: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[LiveRelease]]:
    """Every revision helm holds of each (cluster, namespace, release) `wanted`, concurrently."""
    keys = sorted(set(wanted))
    reads = (
        asyncio.to_thread(list_storage, clients, targets[c], f"owner=helm,name={name}", ns)
        for c, ns, name in keys
    )
    return dict(zip(keys, await gather_all(reads, KubeError), strict=True))
