"""`envman deps`: every chart an environment needs, made ready and pinned before any run
needs it."""

from __future__ import annotations

from envman.application.app import Application
from envman.application.chart_dependencies import build_dependencies
from envman.application.chart_lock import key_of, read_lock, write_lock
from envman.application.fleet_state import desired_state, releases_of
from envman.application.remote_charts import pin_remote_charts
from envman.kit.errors import PlanError
from envman.kit.suggest import did_you_mean
from envman.plan.fleet import resolve
from envman.plan.select import select
from envman.spec.chart_lock import ChartKey
from envman.spec.loader import load_environments


async def prepare_charts(
    app: Application, names: tuple[str, ...], *, update: bool = False, apps: tuple[str, ...] = ()
) -> list[str]:
    """`envman deps`: build the missing dependencies of the local charts of every (or each
    named) environment, check its remote charts against `envman.lock` and pin the missing
    ones; `update` re-pins (downloads again) the remote charts of `apps` (every app when
    none is named). Without names, pins no environment uses are dropped. The lock file is
    written only when every chart passed. What was done."""
    environments = load_environments(app.root, names)
    known = {a for env in environments.values() for a in env.apps}
    unknown = [f"unknown app {a!r}{did_you_mean(a, known)}" for a in apps if a not in known]
    if unknown:
        raise PlanError("\n".join(unknown))
    lock = read_lock(app.root)
    before = dict(lock.pins)
    used: set[ChartKey] = set()
    renewed: set[ChartKey] = set()
    lines = []

    def renew(app_name: str) -> bool:
        return update and (not apps or app_name in apps)

    for name, env in environments.items():
        if env.spec.abstract:
            continue
        built = await build_dependencies(app, env)
        lines += [f"{name}: built the dependencies of {chart}" for chart in built]
        desired = desired_state(resolve(env), select(env), app.redactor, secrets="skip")
        remote = [r for r in releases_of(desired) if r.chart.remote]
        lines += await pin_remote_charts(app, env, desired, lock, renew, renewed)
        used |= {key_of(r.chart) for r in remote}
    if not names and not apps:
        for key in sorted(set(lock.pins) - used):
            del lock.pins[key]
            lines.append(f"unpinned {key.chart} {key.version} of {key.repository}: no environment uses it")
    if lock.pins != before:
        write_lock(app.root, lock)
    return lines or ["every local chart has its dependencies; no remote chart"]
