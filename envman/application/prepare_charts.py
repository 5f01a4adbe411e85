"""`envman deps`: every chart an environment needs, made ready before any run needs it."""

from __future__ import annotations

from envman.application.app import Application
from envman.application.chart_dependencies import build_dependencies
from envman.application.fleet_state import desired_state
from envman.application.remote_charts import fetch_remote_charts
from envman.plan.fleet import resolve
from envman.plan.select import select
from envman.spec.checks import is_local_chart
from envman.spec.loader import load_environments


async def prepare_charts(app: Application, names: tuple[str, ...]) -> list[str]:
    """`envman deps`: build the missing dependencies of the local charts of every (or each
    named) environment and fetch its remote charts into the cache; what was done."""
    lines = []
    for name, env in load_environments(app.root, names).items():
        if env.spec.abstract:
            continue
        built = await build_dependencies(app, env)
        lines += [f"{name}: built the dependencies of {chart}" for chart in built]
        desired = desired_state(resolve(env), select(env), app.redactor, secrets="skip")
        fetched = await fetch_remote_charts(app, env, desired)
        remote = {
            r.chart_spec
            for per in fetched.values()
            for r in per.values()
            if not is_local_chart(r.chart_spec, env)
        }
        lines += [f"{name}: remote chart {spec} is in the cache" for spec in sorted(remote)]
    return lines or ["every local chart has its dependencies; no remote chart"]
