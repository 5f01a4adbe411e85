"""`diff`, `status` and `history`: what would change, what runs and what ran, on every
selected cluster."""

from __future__ import annotations

from dataclasses import dataclass, replace

from envman.application.app import Application, Choice
from envman.application.engines import engine_for
from envman.application.planning import make_plan
from envman.application.secrets import learn_running_secrets
from envman.plan.cluster_state import ReleaseHistory, WaveVerification
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
    """Every release that would change (a drifted one included), with its desired manifest:
    the plan's own rendering (hooks included), so `diff` and `plan` never disagree."""
    planned = await make_plan(app, environment, choice, prune, refresh=refresh, secrets="try")
    changed = [r for r in planned.plan.releases if r.changed]
    compared = await engine_for(app, planned.fleet).diffs(changed, planned.rendered)
    return [ReleaseDiff(release, rendered) for release, rendered in compared]


async def status(app: Application, environment: str, choice: Choice, *, refresh: bool = True) -> Status:
    """Every release with its health (installed ones first) and every wave's verification.
    Reads no secret source."""
    planned = await make_plan(
        app, environment, choice, prune=False, refresh=refresh, secrets="skip", charts=False
    )
    engine = engine_for(app, planned.fleet)
    problems = await engine.release_health(planned.plan, planned.states, refresh)
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
            if r.desired is not None and (r.drift or not runs_verified(r, _recorded(records[c.name], r.app)))
        )
        waves.append(WaveStatus(wave.name, not unverified, records, unverified))
    return Status(rows, waves)


def _recorded(record: WaveVerification | None, app: str) -> str | None:
    return record.releases.get(app) if record else None


async def history(app: Application, environment: str, name: str, choice: Choice) -> list[ReleaseHistory]:
    """`envman history`: the revisions of app `name` on every selected cluster where it is
    enabled, read from helm's storage (one LIST per cluster) or the hub's Applications."""
    fleet = app.fleet(environment)
    chosen = replace(choice, apps=(name,)).select(fleet.env)
    clusters = [c for c in chosen.clusters if is_enabled(fleet.env, name, c)]
    histories = await engine_for(app, fleet).history(name, clusters)
    for found in histories:
        learn_running_secrets(app.redactor, fleet.env, name, found.revisions)
    return histories
