"""The argocd engine (README, "Engines"): Argo CD applies, envman orchestrates. The plan
reads the Applications on the hub (one LIST) and each cluster's verification record there;
a sync writes only to the hub: the Applications, the lock (a Lease) and the records
(ConfigMaps), all in the hub's Argo CD namespace. Fail fast watches the destinations the
kubeconfig can read."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from envman.adapters.argocd.health import ArgoHealth
from envman.adapters.argocd.hub import HubApi, HubApplications
from envman.adapters.argocd.release_ops import ArgoReleaseOps, Destination, destinations
from envman.adapters.argocd.watcher import ReadableOnly
from envman.adapters.clock import SystemClock
from envman.adapters.kube.lock import LeaseLock
from envman.adapters.kube.objects import ClusterApi
from envman.adapters.kube.rollout_ports import KubeLock, KubeVerifications
from envman.adapters.kube.state import RecordSite, read_verifications
from envman.adapters.kube.watch import KubeWatcher
from envman.adapters.target import ClusterTarget, KubeTarget
from envman.application.app import Application
from envman.application.git_source import check_pushed, git_source, local_charts, repository_commit
from envman.gates.ports import Health
from envman.plan.argocd.applications import (
    GitSource,
    Hub,
    chart_source,
    desired_application,
    placements,
)
from envman.plan.argocd.hub_plan import Keyed, by_cluster, cluster_state, with_reported_drift
from envman.plan.argocd.names import hub_record_name, label_value
from envman.plan.argocd.reading import as_yaml, health_problems, history
from envman.plan.cluster_state import ENV_LABEL, ClusterState, ReleaseHistory
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.model import Plan, ReleasePlan
from envman.rollout.ports import HelmFor, Lock, ReleaseOps, ReleaseReader, Verifications, Watcher
from envman.spec.engines import argocd_of
from envman.spec.models import ArgoCD

HUB = "argocd-hub"
"""How errors name the hub."""


def hub_target(env_root: Path, settings: ArgoCD, kubeconfig: Path | None) -> ClusterTarget:
    """The hub's API: `rollout.argocd.kubeconfig` (from the repository root) or --kubeconfig."""
    path = env_root / Path(settings.kubeconfig).expanduser() if settings.kubeconfig else kubeconfig
    return ClusterTarget(HUB, KubeTarget(path, settings.context))


class ArgoEngine:
    """The argocd engine of one environment."""

    stores_manifests = False  # an Application holds its spec; the plan renders only to check

    def __init__(self, app: Application, fleet: Fleet) -> None:
        settings = argocd_of(fleet.env)
        assert settings is not None, "an environment on the argocd engine"
        self._app = app
        self._fleet = fleet
        self._settings = settings
        self.target = hub_target(fleet.env.root, settings, app.kubeconfig)
        self.api = HubApplications(HubApi(app.kube, self.target, settings.namespace))
        self.hub = Hub(settings.namespace, settings.project)
        self.places = placements(fleet)
        self._applications: dict[str, Keyed] = {}
        self._git: GitSource | None = None
        self._destinations = destinations(
            fleet.env.name, fleet.env.clusters, self.hub, self.places, self.source_of
        )

    @property
    def _env_selector(self) -> str:
        return f"{ENV_LABEL}={label_value(self._fleet.env.name)}"

    def git(self) -> GitSource:
        """Where Argo CD reads local charts (HEAD of the repository, its remote)."""
        if self._git is None:
            self._git = git_source(self._fleet.env.root, self._settings.repoURL)
        return self._git

    def check_sources(self, desired: Mapping[str, Mapping[str, DesiredRelease]]) -> None:
        charts = local_charts(self._fleet.env, desired)
        if charts:
            check_pushed(self._fleet.env.root, self.git(), charts)

    def source_of(self, chart: ChartSource) -> dict[str, Any]:
        """The Application source of `chart` (a local chart: its path from the root, in git)."""
        local = not chart.remote
        spec = os.path.relpath(chart.ref, self._fleet.env.root) if local else chart.ref
        return chart_source(chart, spec, self.git() if local else None)

    def record_site(self, cluster: str) -> RecordSite:
        return RecordSite(self.target, self.hub.namespace, hub_record_name(self._fleet.env.name, cluster))

    async def read_applications(self, clusters: Sequence[str]) -> dict[str, Keyed]:
        found = await self.api.list(self._env_selector)
        return by_cluster(found, clusters)

    async def read_states(
        self,
        desired: Mapping[str, Mapping[str, DesiredRelease]],
        *,
        refresh: bool,
        arrived: Callable[[ClusterState], None] | None = None,
    ) -> dict[str, ClusterState]:
        clusters = list(desired)
        self._applications = await self.read_applications(clusters)
        api = ClusterApi(self._app.kube, self.target)
        records = await asyncio.gather(
            *(asyncio.to_thread(read_verifications, api, self.record_site(c)) for c in clusters)
        )
        states = {
            c: cluster_state(c, self._applications[c], found)
            for c, found in zip(clusters, records, strict=True)
        }
        if arrived is not None:
            for state in states.values():
                arrived(state)
        return states

    def finish(self, plan: Plan, *, refresh: bool) -> Plan:
        return with_reported_drift(plan, self._applications) if refresh else plan

    def destination(self, cluster: str) -> Destination:
        return self._destinations[cluster]

    async def release_ops(self) -> HelmFor:
        ops: dict[str, ReleaseOps] = {}

        def for_cluster(cluster: str) -> ReleaseOps:
            if cluster not in ops:
                ops[cluster] = ArgoReleaseOps(self.api, self.destination(cluster), SystemClock())
            return ops[cluster]

        return for_cluster

    async def readers(self) -> dict[str, ReleaseReader]:
        return {c: ArgoReleaseOps(self.api, d, SystemClock()) for c, d in self._destinations.items()}

    def health(self) -> Health:
        return ArgoHealth(self.api, self._destinations)

    def lock(self, unlock_command: str | None = None) -> Lock:
        return KubeLock(
            self._app.kube, [self.target], self._fleet.env.name, unlock_command, self.hub.namespace
        )

    def verifications(self) -> Verifications:
        return KubeVerifications(self._app.kube, {c: self.record_site(c) for c in self._fleet.env.clusters})

    def watcher(self) -> Watcher:
        env = self._fleet.env
        targets = self._app.targets(env)
        readable = [c for c, t in targets.items() if self._app.kube.has_context(t)]
        tracked = {
            (c, env.apps[app].namespace, env.release_name(app)): place.name
            for (c, app), place in self.places.items()
        }
        return ReadableOnly(KubeWatcher(self._app.kube, targets, applications=tracked), readable)

    def break_lock(self) -> list[str]:
        lease = LeaseLock(self._app.kube, [self.target], self._fleet.env.name, namespace=self.hub.namespace)
        return lease.break_lock()

    async def release_health(
        self, plan: Plan, states: Mapping[str, ClusterState], refresh: bool
    ) -> dict[tuple[str, str], tuple[str, ...] | None]:
        """Each Application's health as Argo CD judges it (no destination read)."""
        found = self._applications or await self.read_applications(list(states))
        rows: dict[tuple[str, str], tuple[str, ...] | None] = {}
        for release in plan.releases:
            obj = found.get(release.cluster, {}).get((release.namespace, release.release))
            if release.live is not None and obj is not None:
                rows[release.cluster, release.app] = health_problems(obj)
        return rows

    async def history(self, app: str, clusters: Sequence[str]) -> list[ReleaseHistory]:
        """From each Application's history (and envman's record of each revision)."""
        env = self._fleet.env
        release, namespace = env.release_name(app), env.apps[app].namespace
        found = await self.read_applications(clusters)
        return [
            ReleaseHistory(
                c, release, namespace, history(obj) if (obj := found[c].get((namespace, release))) else []
            )
            for c in clusters
        ]

    async def diffs(
        self, releases: Sequence[ReleasePlan], rendered: Mapping[tuple[str, str], str]
    ) -> list[tuple[ReleasePlan, str]]:
        """Each release's Application: the live one on the hub against the one a sync would
        apply (spec, labels, envman's annotations)."""
        found = await self.read_applications(sorted({r.cluster for r in releases}))
        commit = repository_commit(self._fleet.env.root)
        compared = []
        for release in releases:
            live = found.get(release.cluster, {}).get((release.namespace, release.release))
            desired = ""
            if release.desired is not None:
                place = self.places[release.cluster, release.app]
                source = self.source_of(release.desired.chart)
                desired = as_yaml(desired_application(release.desired, place, self.hub, source, commit))
            shown = release
            if release.live is not None and live is not None:
                shown = replace(release, live=replace(release.live, manifest=as_yaml(live)))
            compared.append((shown, desired))
        return compared
