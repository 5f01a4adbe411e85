"""`envman sync` (staged rollout), `envman rollback` and `envman unlock`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click

from envman.application import syncing
from envman.application.app import Choice
from envman.application.sync_plan import plan_for_sync
from envman.cli.root import State, cli, pass_state, selectors
from envman.kit.errors import EXIT_ERROR, EXIT_OK
from envman.kit.suggest import did_you_mean
from envman.output.plan_views import text_view
from envman.output.progress import progress_for, terminal_width
from envman.output.rollback_views import (
    reapply_note,
    rollback_lines,
    rollback_plan_lines,
    rollback_summary,
    unlock_lines,
)
from envman.output.sync_views import end_lines
from envman.rollout.app_rollback import exit_code
from envman.rollout.rollback_choice import Wanted


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
    help="Apply exactly this saved plan (`plan --out`); refused (nothing changed) if the spec, the "
    "live state or any release's action or changes moved.",
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
    CI) it shows the plan and asks first, unless --yes or --plan. Every remote chart must
    match its pin in envman.lock (`envman deps ENV` pins a new one, `envman deps ENV --update
    --app APP` re-pins a changed one on purpose).

    Exit 0 done, 1 error (nothing changed when the plan step fails; also after an interrupt),
    3 rollout failed (rolled back per onFailure), 4 stopped before a wave that needs approval.
    """
    app = state.app
    syncing.check_outputs(app, report_path)
    _check_waves(state, environment, approve)
    planned = plan_for_sync(
        app,
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
@click.option(
    "--to-commit",
    metavar="SHA",
    help="Roll each cluster back to its newest revision synced from this commit (a hash or a prefix "
    "of at least 4 digits, as `history` shows it).",
)
@click.option("-y", "--yes", is_flag=True, help="On a terminal, do not ask before changing anything.")
@pass_state
def rollback(
    state: State,
    environment: str,
    app: str,
    clusters: tuple[str, ...],
    regions: tuple[str, ...],
    to_revision: int | None,
    to_commit: str | None,
    yes: bool,
) -> int:
    """helm rollback of APP on every (selected) cluster: to its previous revision, to
    revision N, or to the newest revision synced from a commit (the same on every cluster).

    Every cluster is checked first: one that lacks the target fails the command before any
    change. Then wave by wave (each wave's maxParallel), stopping at the first failure, under
    the environment lock. On a terminal (and not in CI) it shows what it will do and asks,
    unless --yes. The next `sync` puts the spec back unless the spec changes too.

    Exit 0 done, 1 error (nothing changed; also after an interrupt), 3 a rollback failed.
    """
    if to_revision is not None and to_commit is not None:
        raise click.UsageError("--to-revision and --to-commit exclude each other")
    choice = Choice(clusters, regions)
    wanted = Wanted(to_revision, to_commit.lower() if to_commit else None)
    plan = state.app.run(syncing.plan_rollback(state.app, environment, app, choice, wanted))
    for line in rollback_plan_lines(environment, plan):
        state.echo(line, err=True)
    if not plan.steps:
        return EXIT_OK
    state.echo(reapply_note(environment, app), err=True)
    question = f"Roll {app} back on {len(plan.steps)} cluster(s)?"
    if not yes and _asks(state.app.environ) and not click.confirm(question, default=False, err=True):
        state.echo("nothing changed", err=True)
        return EXIT_ERROR
    progress = progress_for(sys.stderr, None, color=state.color is not False, environ=state.app.environ)
    results = state.app.run(syncing.rollback(state.app, environment, choice, plan, progress))
    for line in rollback_lines(results):
        state.echo(line)
    state.echo(rollback_summary(environment, results), err=True)
    return exit_code(results)


@cli.command()
@click.argument("environment", metavar="ENV")
@pass_state
def unlock(state: State, environment: str) -> None:
    """Remove the environment lock left by a crashed sync (from every cluster of ENV)."""
    for line in unlock_lines(environment, syncing.unlock(state.app, environment)):
        state.echo(line)
