"""The plan step of `envman sync`: the plan, or the saved plan checked against a fresh one;
a failure writes an `error` report (nothing was touched) before it propagates."""

from __future__ import annotations

from pathlib import Path

from envman.application import saved_plans
from envman.application.app import Application, Choice
from envman.application.planning import Planned, make_plan
from envman.application.syncing import write_reports
from envman.kit.errors import EnvmanError
from envman.rollout.report import Report


def plan_for_sync(
    app: Application,
    environment: str,
    choice: Choice,
    prune: bool,
    plan_path: Path | None,
    *,
    report_path: Path | None,
    report: bool,
) -> Planned:
    """The plan `sync` applies: planned now, and with `plan_path` the saved plan's selection,
    refused unless it is exactly the saved plan (`saved_plans.check`). With `report`, a
    failure writes the `error` report to `report_path` (and the step summary)."""
    try:
        saved = saved_plans.load(plan_path, environment) if plan_path else None
        if saved is not None:
            if choice != Choice():
                raise EnvmanError("--plan takes its selection from the saved plan: drop the selectors")
            choice, prune = saved.choice, saved.prune
        planned = app.run(make_plan(app, environment, choice, prune))
        if saved is not None and plan_path is not None:
            saved_plans.check(saved, planned, plan_path, app.redactor)
    except EnvmanError as exc:  # nothing changed, and the report says why
        if report:
            write_reports(app, Report.error_before_start(environment, str(exc)), report_path)
        raise
    return planned
