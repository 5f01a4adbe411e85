"""The plan step of plan, diff, status and sync: load, resolve, read every selected
cluster, compare. Nothing is changed on any cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from envman.application.app import Application, Choice
from envman.application.chart_dependencies import build_dependencies
from envman.application.engines import Engine, engine_for
from envman.application.fleet_state import desired_state
from envman.application.remote_charts import fetch_remote_charts
from envman.application.rendering import Renderer, templater
from envman.application.secrets import SecretUse, learn_running_secrets
from envman.kit.errors import HelmError, Problem, SpecError
from envman.plan.cluster_state import ClusterState
from envman.plan.compare import build_plan, needs_render
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.model import Plan, ReleasePlan, with_releases
from envman.plan.select import Selection
from envman.plan.verification import runs_verified, values_to_render, verified_revision
from envman.spec.environment import Environment


@dataclass
class Planned:
    fleet: Fleet
    selection: Selection
    plan: Plan
    states: Mapping[str, ClusterState]
    rendered: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(cluster, app) -> the desired manifest, hooks included, of each release the plan
    rendered to compare (see `plan.compare.needs_render`)."""


async def make_plan(
    app: Application,
    environment: str,
    choice: Choice,
    prune: bool,
    *,
    refresh: bool = True,
    secrets: SecretUse = "require",
    charts: bool = True,
) -> Planned:
    """The plan of `environment` for the selection; secrets are registered with `app.redactor`.
    `refresh` reads the live objects (drift); `secrets` as `resolve_releases` takes it;
    `charts` builds missing local chart dependencies, fetches every remote chart first
    (the pre-flight) and renders every release whose inputs changed (`status` needs none of
    it). A release that does not render fails the plan step, nothing touched."""
    fleet = app.fleet(environment)
    selection = choice.select(fleet.env)
    if charts:
        await build_dependencies(app, fleet.env)
    desired = desired_state(fleet, selection, app.redactor, secrets=secrets, decrypt=app.decrypt)
    if charts:
        desired = await fetch_remote_charts(app, fleet.env, desired)
    engine = engine_for(app, fleet)  # push mode reads every cluster; argocd the hub
    if charts:
        engine.check_sources(desired)
    states, rendered = await _read_and_render(app, fleet, engine, desired, refresh=refresh, render=charts)
    compared = rendered if engine.stores_manifests else {}
    plan = engine.finish(build_plan(fleet, selection, desired, states, prune, compared), refresh=refresh)
    for release in plan.releases:
        learn_running_secrets(app.redactor, fleet.env, release.app, [release.live] if release.live else [])
    if charts:
        plan = await _with_verified_revisions(engine, plan, states)
    return Planned(fleet, selection, plan, states, compared)


async def _with_verified_revisions(engine: Engine, plan: Plan, states: Mapping[str, ClusterState]) -> Plan:
    """The plan with each release's last verified revision (where a failed verification puts
    it back), reading the history of the releases that do not run it now."""
    wave_of = {c.name: w.name for w in plan.waves for c in w.clusters}

    def digest(release: ReleasePlan) -> str | None:
        record = states[release.cluster].verifications.get(wave_of[release.cluster])
        return record.releases.get(release.app) if record else None

    wanted: dict[str, list[str]] = {}
    for r in plan.releases:
        if r.desired is not None and r.live is not None and (d := digest(r)) and not runs_verified(r, d):
            wanted.setdefault(r.app, []).append(r.cluster)
    found = await asyncio.gather(*(engine.history(app, clusters) for app, clusters in wanted.items()))
    histories = {(h.cluster, h.release): h.revisions for per_app in found for h in per_app}

    def update(release: ReleasePlan) -> ReleasePlan:
        history = histories.get((release.cluster, release.release), ())
        return replace(release, verified_revision=verified_revision(release, digest(release), history))

    return with_releases(plan, update)


async def _read_and_render(
    app: Application,
    fleet: Fleet,
    engine: Engine,
    desired: Mapping[str, Mapping[str, DesiredRelease]],
    *,
    refresh: bool,
    render: bool,
) -> tuple[dict[str, ClusterState], dict[tuple[str, str], str]]:
    """Every cluster's state and, with `render`, the rendering of every release whose inputs
    changed, as `sync` will apply it (hooks included, as an upgrade where the release exists).
    A cluster's renders start as soon as it is read, while the others still are; each distinct
    input renders once. Every release that does not render is a located problem, all
    reported at once."""
    if not render:
        return await engine.read_states(desired, refresh=refresh), {}
    submitted: dict[DesiredRelease, asyncio.Task[str | HelmError]] = {}
    async with Renderer(await templater(app), hooks=True) as renderer:

        def arrived(state: ClusterState) -> None:
            for release in desired[state.cluster].values():
                live = state.get(release.namespace, release.release)
                if needs_render(release, live):
                    values = values_to_render(release, live.values if live else {})
                    shown = replace(release, values=values)
                    submitted[shown] = renderer.submit(shown, is_upgrade=live is not None)

        states = await engine.read_states(desired, refresh=refresh, arrived=arrived)
    rendered, problems = {}, []
    for release, task in submitted.items():
        result = task.result()
        if isinstance(result, HelmError):
            problems.append(_render_problem(fleet.env, release, result))
        else:
            rendered[(release.cluster, release.app)] = result
    if problems:
        raise SpecError(problems)
    return states, rendered


def _render_problem(env: Environment, release: DesiredRelease, error: HelmError) -> Problem:
    """`file:line:col: app A on cluster C does not render: <helm's message>`, at the app's
    override for that cluster when there is one."""
    app = env.apps[release.app]
    path: tuple[str, ...] = ("apps", release.app)
    if release.cluster in app.clusters:
        path += ("clusters", release.cluster)
    elif release.region in app.regions:
        path += ("regions", release.region)
    message = f"app {release.app} on cluster {release.cluster} does not render: {_helm_message(error)}"
    return Problem(message, env.key_at(*path))


def _helm_message(error: HelmError) -> str:
    """helm's own message, without envman's `helm template <release> failed...:` prefix."""
    text = str(error)
    return text.split(": ", 1)[1] if text.startswith("helm template") and ": " in text else text
