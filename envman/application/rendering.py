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
from envman.plan.desired import DesiredRelease
from envman.rollout.ports import Templater

RenderKey = tuple[str, str, tuple[str, str | None, str | None], str, bool]


def render_key(release: DesiredRelease, is_upgrade: bool = False) -> RenderKey:
    """Releases with equal keys render to equal manifests."""
    values = json.dumps(release.values, sort_keys=True, default=str)
    return (release.release, release.namespace, release.chart.key, values, is_upgrade)


class Renderer:
    """Renders releases as they are submitted: each distinct input once, at most `parallel`
    at a time. As an async context manager it owns its renders: leaving it waits for them,
    or cancels them when the block fails."""

    def __init__(self, helm: Templater, *, hooks: bool, parallel: int = 4) -> None:
        self._helm = helm
        self._hooks = hooks
        self._limit = asyncio.Semaphore(parallel)
        self._tasks: dict[RenderKey, asyncio.Task[str | HelmError]] = {}

    def submit(self, release: DesiredRelease, *, is_upgrade: bool = False) -> asyncio.Task[str | HelmError]:
        """The render of `release` (its manifest, or the error of its rendering)."""
        key = render_key(release, is_upgrade)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._render(release, is_upgrade))
        return self._tasks[key]

    async def _render(self, release: DesiredRelease, is_upgrade: bool) -> str | HelmError:
        async with self._limit:
            try:
                return await self._helm.template(
                    release.release,
                    release.namespace,
                    release.chart,
                    release.values,
                    hooks=self._hooks,
                    is_upgrade=is_upgrade,
                )
            except HelmError as exc:
                return exc

    async def __aenter__(self) -> Renderer:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        tasks = list(self._tasks.values())
        if kind is not None:
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=kind is not None)


async def render_releases(
    releases: Sequence[DesiredRelease], helm: Templater, *, hooks: bool = False, parallel: int = 4
) -> list[str]:
    """The manifest of each release, in order (identical inputs rendered once, distinct ones
    concurrently); when some fail, one `HelmError` naming every failure (the other renders
    finish first)."""
    async with Renderer(helm, hooks=hooks, parallel=parallel) as renderer:
        tasks = [renderer.submit(r) for r in releases]
    results = [task.result() for task in tasks]
    failures = dict.fromkeys(str(r) for r in results if isinstance(r, HelmError))
    if failures:
        raise HelmError("\n".join(failures))
    return [r for r in results if not isinstance(r, HelmError)]


async def render_with_helm(app: Application, releases: Sequence[DesiredRelease], *, hooks: bool) -> list[str]:
    """`render_releases` through the command's helm (no cluster is touched)."""
    if not releases:
        return []
    return await render_releases(releases, await templater(app), hooks=hooks)


async def templater(app: Application) -> Templater:
    """The command's helm, for rendering only (no cluster)."""
    clients = await app.helm()
    return clients.for_target(KubeTarget())


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
