"""`diff`, `status` and `history`: what would change, what runs and what ran, on every
selected cluster."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from envman.adapters.kube.health import cluster_health
from envman.adapters.kube.objects import ClusterApi
from envman.adapters.kube.releases import list_storage
from envman.application.app import Application, Choice
from envman.application.planning import Planned, make_plan
from envman.application.rendering import render_with_helm
from envman.kit.errors import KubeError
from envman.kit.limits import gather_all
from envman.plan.cluster_state import ReleaseHistory, WaveVerification
from envman.plan.health import workloads
from envman.plan.manifests import manifest_objects
from envman.plan.model import ReleasePlan
from envman.plan.values import is_enabled
from envman.plan.verification import runs_verified


@dataclass(frozen=True)
class ReleaseDiff:
    """A release that would change, with its rendered manifest ("" for an uninstall)."""

    release: ReleasePlan
    rendered: str


@dataclass(frozen=True)
class ReleaseStatus:
    """A release of the plan and what is unhealthy about its live workloads (None: not read)."""

    release: ReleasePlan
    problems: tuple[str, ...] | None = ()


@dataclass(frozen=True)
class WaveStatus:
    """A wave's last verification on each of its clusters, whether it covers what runs on
    every one (`runs_verified`), and the releases whose running state its gates did not pass
    for (`api on prod-use1`: after a hand-made `rollback` or upgrade, drift, a failed sync)."""

    name: str
    verified: bool
    records: dict[str, WaveVerification | None]
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Status:
    releases: list[ReleaseStatus]
    waves: list[WaveStatus]


async def diff(
    app: Application, environment: str, choice: Choice, prune: bool, *, refresh: bool = True
) -> list[ReleaseDiff]:
    """Every release that would change (a drifted one included), with its desired manifest."""
    planned = await make_plan(app, environment, choice, prune, refresh=refresh, secrets="try")
    changed = [r for r in planned.plan.releases if r.changed]
    desired = [r.desired for r in changed if r.desired is not None]
    manifests = iter(await render_with_helm(app, desired, hooks=False))
    return [ReleaseDiff(r, next(manifests) if r.desired is not None else "") for r in changed]


async def status(app: Application, environment: str, choice: Choice, *, refresh: bool = True) -> Status:
    """Every release with its health (installed ones first) and every wave's verification.
    Reads no secret source."""
    planned = await make_plan(
        app, environment, choice, prune=False, refresh=refresh, secrets="skip", charts=False
    )
    clusters = list(planned.states)
    health = await asyncio.gather(*(_health(app, planned, c, refresh) for c in clusters))
    problems = {key: found for per_cluster in health for key, found in per_cluster.items()}
    releases = planned.plan.releases
    rows = [ReleaseStatus(r, problems.get((r.cluster, r.app))) for r in releases if r.live is not None]
    rows += [ReleaseStatus(r) for r in releases if r.live is None]
    waves = []
    for wave in planned.plan.waves:
        records = {c.name: planned.states[c.name].verifications.get(wave.name) for c in wave.clusters}
        unverified = tuple(
            f"{r.app} on {c.name}"
            for c in wave.clusters
            for r in c.releases
            if r.desired is not None and not runs_verified(r, records[c.name])
        )
        waves.append(WaveStatus(wave.name, not unverified, records, unverified))
    return Status(rows, waves)


async def _health(
    app: Application, planned: Planned, cluster: str, refresh: bool
) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """The health problems of every installed release of `cluster`, from the objects the plan
    read and one LIST of pods per namespace; None for each when the live read is skipped."""
    installed = [r for r in planned.plan.releases if r.cluster == cluster and r.live is not None]
    if not refresh:
        return {(r.cluster, r.app): None for r in installed}
    api = ClusterApi(app.kube, app.targets(planned.fleet.env)[cluster])
    refs = {
        (r.cluster, r.app): workloads(manifest_objects(r.live.manifest, r.namespace))
        for r in installed
        if r.live is not None
    }
    health = await asyncio.to_thread(cluster_health, api, refs, planned.states[cluster].objects)
    return {key: tuple(problems) for key, problems in health.items()}


async def history(app: Application, environment: str, name: str, choice: Choice) -> list[ReleaseHistory]:
    """`envman history`: the revisions of app `name` on every selected cluster where it is
    enabled, read from helm's storage (one LIST per cluster)."""
    fleet = app.fleet(environment)
    chosen = replace(choice, apps=(name,)).select(fleet.env)
    release, namespace = fleet.env.release_name(name), fleet.env.apps[name].namespace
    targets = app.targets(fleet.env)
    clusters = [c for c in chosen.clusters if is_enabled(fleet.env, name, c)]
    selector = f"owner=helm,name={release}"
    reads = (asyncio.to_thread(list_storage, app.kube, targets[c], selector, namespace) for c in clusters)
    found = await gather_all(reads, KubeError)
    return [
        ReleaseHistory(c, release, namespace, sorted(revisions, key=lambda r: r.revision))
        for c, revisions in zip(clusters, found, strict=True)
    ]
