"""Render desired releases with `helm template`, each distinct input once, concurrently."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from envman.adapters.target import KubeTarget
from envman.application.app import Application, Choice
from envman.application.chart_dependencies import build_dependencies
from envman.application.fleet_state import desired_state
from envman.application.remote_charts import fetch_remote_charts
from envman.kit.errors import HelmError, PlanError
from envman.kit.limits import gather_all
from envman.plan.desired import DesiredRelease
from envman.rollout.ports import Templater

RenderKey = tuple[str, str, tuple[str, str | None, str | None], str]


def render_key(release: DesiredRelease) -> RenderKey:
    """Releases with equal keys render to equal manifests."""
    values = json.dumps(release.values, sort_keys=True, default=str)
    return (release.release, release.namespace, release.chart.key, values)


async def render_releases(
    releases: Sequence[DesiredRelease], helm: Templater, *, hooks: bool = False, parallel: int = 4
) -> list[str]:
    """The manifest of each release, in order; identical inputs are rendered only once."""
    limit = asyncio.Semaphore(parallel)
    unique = {render_key(r): r for r in releases}

    async def render(release: DesiredRelease) -> str:
        async with limit:
            return await helm.template(
                release.release, release.namespace, release.chart, release.values, hooks=hooks
            )

    keys = list(unique)
    manifests = await gather_all((render(unique[k]) for k in keys), HelmError)
    by_key = dict(zip(keys, manifests, strict=True))
    return [by_key[render_key(r)] for r in releases]


async def render_with_helm(app: Application, releases: Sequence[DesiredRelease], *, hooks: bool) -> list[str]:
    """`render_releases` through the command's helm (no cluster is touched)."""
    if not releases:
        return []
    clients = await app.helm()
    return await render_releases(releases, clients.for_target(KubeTarget()), hooks=hooks)


async def render(app: Application, environment: str, choice: Choice) -> list[tuple[DesiredRelease, str]]:
    """`envman render`: every selected release with its manifest, hooks included."""
    fleet = app.fleet(environment)
    chosen = choice.select(fleet.env)
    await build_dependencies(app, fleet.env)
    desired = desired_state(fleet, chosen, app.redactor, decrypt=app.decrypt)
    desired = await fetch_remote_charts(app, fleet.env, desired)
    releases = [r for per_cluster in desired.values() for r in per_cluster.values()]
    manifests = await render_with_helm(app, releases, hooks=True)
    return list(zip(releases, manifests, strict=True))


def merged_values(app: Application, environment: str, cluster: str, name: str) -> DesiredRelease:
    """`envman values`: one release's layered values; secrets it can read are set (and
    registered with the redactor), the others left out."""
    fleet = app.fleet(environment)
    chosen = Choice((cluster,), (), (name,)).select(fleet.env)
    desired = desired_state(fleet, chosen, app.redactor, secrets="try", decrypt=app.decrypt)
    release = desired[cluster].get(name)
    if release is None:
        raise PlanError(f"app {name!r} is not enabled on cluster {cluster!r} of {environment}")
    return release
