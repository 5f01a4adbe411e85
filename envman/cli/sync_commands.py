"""`envman sync` (staged rollout), `envman rollback` and `envman unlock`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click

from envman.application import saved_plans, syncing
from envman.application.app import Choice
from envman.application.planning import Planned, make_plan
from envman.cli.root import State, cli, pass_state, selectors
from envman.kit.errors import EXIT_ERROR, EXIT_OK, EnvmanError
from envman.kit.suggest import did_you_mean
from envman.output.plan_views import text_view
from envman.output.progress import progress_for, terminal_width
from envman.output.rollback_views import rollback_lines, unlock_lines
from envman.output.sync_views import end_lines
from envman.rollout.report import Report
from envman.rollout.results import RollbackResult


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--approve", multiple=True, metavar="WAVE", help="Approve this wave up front (repeatable).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON report here.",
)
@click.option("--prune", is_flag=True, help="Uninstall envman's releases no longer in the spec.")
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply exactly this saved plan (`plan --out`); refused if the spec or live state moved.",
)
@click.option("-y", "--yes", is_flag=True, help="On a terminal, do not ask before changing anything.")
@pass_state
def sync(
    state: State,
    environment: str,
    choice: Choice,
    dry_run: bool,
    approve: tuple[str, ...],
    report_path: Path | None,
    prune: bool,
    plan_path: Path | None,
    yes: bool,
) -> int:
    """Roll ENV out: wave by wave (canary first), dependency layer by layer, gates between
    waves, rollback per `onFailure` when a release or gate fails. On a terminal (and not in
    CI) it shows the plan and asks first, unless --yes or --plan.

    Exit 0 done, 1 error (nothing changed when the plan step fails; also after an interrupt),
    3 rollout failed (rolled back per onFailure), 4 stopped before a wave that needs approval.
    """
    app = state.app
    syncing.check_outputs(app, report_path)
    _check_waves(state, environment, approve)
    planned = _plan_step(
        state,
        environment,
        choice,
        prune,
        plan_path,
        report_path=None if dry_run else report_path,
        report=not dry_run,
    )
    if dry_run:
        state.echo(text_view(planned.plan, state.style))
        return EXIT_OK
    if not (yes or plan_path) and planned.plan.pending and _asks(app.environ):
        state.echo(text_view(planned.plan, state.style), err=True)
        if not click.confirm(f"Apply this plan to {environment}?", default=False, err=True):
            state.echo("nothing changed", err=True)
            return EXIT_ERROR
    progress = progress_for(sys.stderr, planned.plan, color=state.color is not False, environ=app.environ)
    commands = syncing.Continuations(
        state.invocation.again(), state.invocation.command("unlock", environment)
    )
    report = app.run(syncing.sync(app, planned, approve, progress, commands))
    syncing.write_reports(app, report, report_path)
    for line in end_lines(report, report_path, terminal_width(progress)):
        state.echo(line, err=True)
    return report.exit_code


def _check_waves(state: State, environment: str, approve: tuple[str, ...]) -> None:
    waves = [w.name for w in state.fleet(environment).waves]
    unknown = sorted(set(approve) - set(waves))
    if unknown:
        raise click.BadParameter(
            f"no wave named {unknown[0]!r}{did_you_mean(unknown[0], waves)}", param_hint="--approve"
        )


def _plan_step(
    state: State,
    environment: str,
    choice: Choice,
    prune: bool,
    plan_path: Path | None,
    *,
    report_path: Path | None,
    report: bool,
) -> Planned:
    """The plan (checked against the saved one); a failure writes an `error` report."""
    app = state.app
    try:
        saved = saved_plans.load(plan_path, environment) if plan_path else None
        if saved is not None:
            if choice != Choice():
                raise click.UsageError("--plan takes its selection from the saved plan: drop the selectors")
            choice, prune = saved.choice, saved.prune
        planned = app.run(make_plan(app, environment, choice, prune))
        if saved is not None and plan_path is not None:
            saved_plans.check(saved, planned, plan_path)
    except EnvmanError as exc:  # nothing changed, and the report says why
        if report:
            failed = Report.error_before_start(environment, str(exc), app.redactor)
            syncing.write_reports(app, failed, report_path)
        raise
    return planned


def _asks(environ: Mapping[str, str]) -> bool:
    """Ask before changing: on a terminal, never in CI."""
    return sys.stdin.isatty() and sys.stderr.isatty() and not environ.get("CI")


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option("--app", "app", required=True, help="The app to roll back.")
@click.option(
    "--cluster", "clusters", multiple=True, metavar="CLUSTER", help="Only this cluster (repeatable)."
)
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Only this region (repeatable).")
@click.option("--to-revision", type=click.IntRange(min=1), help="Roll back to this revision (see `history`).")
@pass_state
def rollback(
    state: State,
    environment: str,
    app: str,
    clusters: tuple[str, ...],
    regions: tuple[str, ...],
    to_revision: int | None,
) -> int:
    """helm rollback of APP to its previous revision (or --to-revision N) on every (selected)
    cluster, under the environment lock."""
    progress = progress_for(sys.stderr, None, color=state.color is not False, environ=state.app.environ)
    choice = Choice(clusters, regions)
    results = state.app.run(syncing.rollback(state.app, environment, app, choice, progress, to_revision))
    for line in rollback_lines(results):
        state.echo(line)
    return EXIT_ERROR if any(r.result is RollbackResult.FAILED for r in results) else EXIT_OK


@cli.command()
@click.argument("environment", metavar="ENV")
@pass_state
def unlock(state: State, environment: str) -> None:
    """Remove the environment lock left by a crashed sync (from every cluster of ENV)."""
    for line in unlock_lines(environment, syncing.unlock(state.app, environment)):
        state.echo(line)
