"""The plan step of plan, diff, status and sync: load, resolve, read every selected
cluster, compare. Nothing is changed on any cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from envman.application.app import Application, Choice
from envman.application.chart_dependencies import build_dependencies
from envman.application.engines import engine_for
from envman.application.fleet_state import desired_state, releases_of
from envman.application.remote_charts import fetch_remote_charts
from envman.application.rendering import render_with_helm
from envman.application.secrets import SecretUse
from envman.plan.cluster_state import DIGEST_LABEL, ClusterState
from envman.plan.compare import build_plan
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.model import Plan
from envman.plan.select import Selection


@dataclass
class Planned:
    fleet: Fleet
    selection: Selection
    plan: Plan
    states: Mapping[str, ClusterState]


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
    `charts` builds missing local chart dependencies and fetches every remote chart first
    (the pre-flight; `status` needs neither)."""
    fleet = app.fleet(environment)
    selection = choice.select(fleet.env)
    if charts:
        await build_dependencies(app, fleet.env)
    desired = desired_state(fleet, selection, app.redactor, secrets=secrets)
    if charts:
        desired = await fetch_remote_charts(app, fleet.env, desired)
    engine = engine_for(app, fleet)  # push mode reads every cluster; argocd the hub
    if charts:
        engine.check_sources(desired)
    states = await engine.read_states(desired, refresh=refresh)
    rendered = await _renders_to_compare(app, desired, states)
    plan = engine.finish(build_plan(fleet, selection, desired, states, prune, rendered), refresh=refresh)
    return Planned(fleet, selection, plan, states)


async def _renders_to_compare(
    app: Application,
    desired: Mapping[str, Mapping[str, DesiredRelease]],
    states: Mapping[str, ClusterState],
) -> dict[tuple[str, str], str]:
    """For each local-chart release that records no content digest (installed by another
    tool), the chart as it is now rendered with the release's own live values: compared with
    the stored manifest, a difference is the chart's content, not the values (those are
    compared on their own)."""
    wanted = []
    for release in releases_of(desired):
        live = states[release.cluster].get(release.namespace, release.release)
        if release.chart_digest is not None and live is not None and DIGEST_LABEL not in live.labels:
            wanted.append(replace(release, values=dict(live.values)))
    manifests = await render_with_helm(app, wanted, hooks=False)
    return {(r.cluster, r.app): m for r, m in zip(wanted, manifests, strict=True)}
