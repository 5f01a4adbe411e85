"""Push mode: envman runs helm against each cluster; the lock and the verification record
live in every cluster of the environment."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from envman.adapters.kube.health import cluster_health
from envman.adapters.kube.lock import LeaseLock
from envman.adapters.kube.objects import ClusterApi
from envman.adapters.kube.releases import list_storage
from envman.adapters.kube.rollout_ports import KubeHealth, KubeLock, KubeVerifications
from envman.adapters.kube.state import push_sites
from envman.adapters.kube.watch import KubeWatcher
from envman.application.app import Application
from envman.application.fleet_state import read_states
from envman.gates.ports import Health
from envman.kit.errors import KubeError
from envman.kit.limits import gather_all
from envman.plan.cluster_state import ClusterState, ReleaseHistory
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.health import workloads
from envman.plan.manifests import manifest_objects
from envman.plan.model import Plan, ReleasePlan
from envman.rollout.ports import HelmFor, Lock, ReleaseReader, Verifications, Watcher

Desired = Mapping[str, Mapping[str, DesiredRelease]]
HealthRows = dict[tuple[str, str], tuple[str, ...] | None]


class HelmEngine:
    """Push mode: helm against each cluster; the lock and the record in every cluster."""

    stores_manifests = True

    def __init__(self, app: Application, fleet: Fleet) -> None:
        self._app = app
        self._fleet = fleet
        self._targets = app.targets(fleet.env)

    def check_sources(self, desired: Desired) -> None:
        return None

    async def read_states(
        self, desired: Desired, *, refresh: bool, arrived: Callable[[ClusterState], None] | None = None
    ) -> dict[str, ClusterState]:
        kube, env = self._app.kube, self._fleet.env.name
        return await read_states(kube, self._targets, desired, env, refresh=refresh, arrived=arrived)

    def finish(self, plan: Plan, *, refresh: bool) -> Plan:
        return plan

    async def release_ops(self) -> HelmFor:
        helm = await self._app.helm()
        return lambda cluster: helm.for_target(self._targets[cluster].target)

    async def readers(self) -> dict[str, ReleaseReader]:
        helm = await self._app.helm()
        return {name: helm.for_target(target.target) for name, target in self._targets.items()}

    def health(self) -> Health:
        return KubeHealth(self._app.kube, self._targets)

    def lock(self, unlock_command: str | None = None) -> Lock:
        return KubeLock(self._app.kube, list(self._targets.values()), self._fleet.env.name, unlock_command)

    def verifications(self) -> Verifications:
        return KubeVerifications(self._app.kube, push_sites(self._targets, self._fleet.env.name))

    def watcher(self) -> Watcher:
        return KubeWatcher(self._app.kube, self._targets)

    def break_lock(self) -> list[str]:
        return LeaseLock(self._app.kube, list(self._targets.values()), self._fleet.env.name).break_lock()

    async def release_health(
        self, plan: Plan, states: Mapping[str, ClusterState], refresh: bool
    ) -> HealthRows:
        """From the objects the plan read and one LIST of pods per namespace per cluster."""
        found = await asyncio.gather(*(self._cluster_health(plan, states, c, refresh) for c in states))
        return {key: problems for per_cluster in found for key, problems in per_cluster.items()}

    async def _cluster_health(
        self, plan: Plan, states: Mapping[str, ClusterState], cluster: str, refresh: bool
    ) -> HealthRows:
        installed = [r for r in plan.releases if r.cluster == cluster and r.live is not None]
        if not refresh:
            return {(r.cluster, r.app): None for r in installed}
        api = ClusterApi(self._app.kube, self._targets[cluster])
        refs = {
            (r.cluster, r.app): workloads(manifest_objects(r.live.manifest, r.namespace))
            for r in installed
            if r.live is not None
        }
        health = await asyncio.to_thread(cluster_health, api, refs, states[cluster].objects)
        return {key: tuple(problems) for key, problems in health.items()}

    async def history(self, app: str, clusters: Sequence[str]) -> list[ReleaseHistory]:
        """From helm's storage (one LIST per cluster)."""
        env = self._fleet.env
        release, namespace = env.release_name(app), env.apps[app].namespace
        selector = f"owner=helm,name={release}"
        reads = (
            asyncio.to_thread(list_storage, self._app.kube, self._targets[c], selector, namespace)
            for c in clusters
        )
        found = await gather_all(reads, KubeError)
        return [
            ReleaseHistory(c, release, namespace, sorted(revisions, key=lambda r: r.revision))
            for c, revisions in zip(clusters, found, strict=True)
        ]

    async def diffs(
        self, releases: Sequence[ReleasePlan], rendered: Mapping[tuple[str, str], str]
    ) -> list[tuple[ReleasePlan, str]]:
        """Each release as the plan rendered it (hooks included), against what it stores: the
        plan's own comparison, so `diff` and `plan` never disagree. A release the plan did not
        render (its inputs unchanged: drift, a failed status) renders to what it stores."""
        return [(r, rendered.get((r.cluster, r.app), _stored(r)) if r.desired else "") for r in releases]


def _stored(release: ReleasePlan) -> str:
    return release.live.all_objects if release.live else ""
