"""`diff` and `status`: what would change, and what runs, on every selected cluster."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from envman.adapters.kube.health import WorkloadHealth, check_workloads, workloads_of
from envman.application.app import Application, Choice
from envman.application.planning import Planned, make_plan
from envman.application.rendering import render_with_helm
from envman.plan.model import ReleasePlan


@dataclass(frozen=True)
class ReleaseDiff:
    """A release that would change, with its rendered manifest ("" for an uninstall)."""

    release: ReleasePlan
    rendered: str


@dataclass(frozen=True)
class ReleaseStatus:
    """A release of the plan and what is unhealthy about its live workloads."""

    release: ReleasePlan
    problems: tuple[str, ...] = ()
    """Its unhealthy workloads, as `kind/name: why`."""


async def diff(app: Application, environment: str, choice: Choice, prune: bool) -> list[ReleaseDiff]:
    planned = await make_plan(app, environment, choice, prune)
    changed = [r for r in planned.plan.releases if r.changed]
    desired = [r.desired for r in changed if r.desired is not None]
    manifests = iter(await render_with_helm(app, desired, hooks=False))
    return [ReleaseDiff(r, next(manifests) if r.desired is not None else "") for r in changed]


async def status(app: Application, environment: str, choice: Choice) -> list[ReleaseStatus]:
    """Installed releases first (with their health), then those not installed."""
    planned = await make_plan(app, environment, choice, prune=False)
    installed = [r for r in planned.plan.releases if r.live is not None]
    health = await asyncio.gather(*(_health(app, planned, r) for r in installed))
    rows = [
        ReleaseStatus(r, tuple(f"{w.workload}: {w.detail}" for w in h if not w.ok))
        for r, h in zip(installed, health, strict=True)
    ]
    return rows + [ReleaseStatus(r) for r in planned.plan.releases if r.live is None]


async def _health(app: Application, planned: Planned, release: ReleasePlan) -> list[WorkloadHealth]:
    assert release.live is not None
    target = app.targets(planned.fleet.env)[release.cluster]
    workloads = workloads_of(release.live.manifest, release.namespace)
    return await asyncio.to_thread(check_workloads, app.kube, target, workloads)
