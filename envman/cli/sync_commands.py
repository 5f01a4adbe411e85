"""`envman sync` (staged rollout), `envman rollback` and `envman unlock`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import click

from envman.adapters.clock import SystemClock
from envman.adapters.helm.driver import HelmClients
from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.lock import LeaseLock, SyncHolder
from envman.adapters.kube.rollout_ports import KubeHealth, KubeLock
from envman.adapters.probes.command import SubprocessRunner
from envman.adapters.probes.http import UrllibHttpProbe
from envman.adapters.probes.prometheus import PrometheusApi
from envman.adapters.prompt import TtyPrompt
from envman.adapters.target import ClusterTarget
from envman.cli.plan_commands import Planned, make_plan
from envman.cli.root import Choice, State, cli, pass_state, selectors
from envman.kit.errors import EXIT_ERROR, EXIT_OK
from envman.plan.values import is_enabled
from envman.plan.views import text_view
from envman.plan.waves import rollout_of
from envman.rollout.app_rollback import AppRollback, RollbackTarget, rollback_app
from envman.rollout.context import RolloutOptions, RolloutPorts
from envman.rollout.engine import sync as run_sync
from envman.rollout.ports import Progress
from envman.rollout.progress import LogProgress, TtyProgress
from envman.rollout.report import Report
from envman.rollout.results import RollbackResult
from envman.rollout.summary import markdown_summary
from envman.targets import cluster_targets


def _progress(state: State) -> Progress:
    if sys.stderr.isatty():
        return TtyProgress(sys.stderr, color=state.color is not False)
    return LogProgress(sys.stderr)


@contextlib.asynccontextmanager
async def _stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """SIGINT/SIGTERM set the stop event: no new work starts, in-flight helm calls finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _resume_command(state: State, environment: str) -> str:
    root = "" if state.root == Path.cwd() else f"-C {state.root} "
    return f"envman {root}sync {environment}"


async def _rollout(state: State, planned: Planned, approve: tuple[str, ...]) -> Report:
    env = planned.fleet.env
    targets = cluster_targets(env, state.kubeconfig)
    kube = KubeClients()
    helm = await HelmClients.from_env(os.environ)
    rollout = rollout_of(env)
    ports = RolloutPorts(
        helm_for=lambda cluster: helm.for_target(targets[cluster].target),
        health=KubeHealth(kube, targets),
        http=UrllibHttpProbe(),
        prometheus=PrometheusApi(),
        commands=SubprocessRunner(),
        clock=SystemClock(),
        prompt=TtyPrompt(),
        lock=KubeLock(kube, list(targets.values()), env.name),
        progress=_progress(state),
    )
    options = RolloutOptions(
        holder=SyncHolder.current(),
        on_failure=rollout.onFailure,
        concurrency=rollout.concurrency,
        approve=frozenset(approve),
        root=state.root,
        resume_command=_resume_command(state, env.name),
        redactor=planned.redactor,
    )
    try:
        async with _stop_on_signals() as stop, _ticking(ports.progress):
            return await run_sync(planned.plan, ports, options, stop=stop)
    finally:
        kube.close()


@contextlib.asynccontextmanager
async def _ticking(progress: Progress) -> AsyncIterator[None]:
    """On a terminal, keep elapsed times moving between events."""
    if isinstance(progress, TtyProgress):
        async with progress.ticking(1.0):
            yield
    else:
        yield


def _write_reports(report: Report, path: Path | None) -> None:
    if path is not None:
        path.write_text(report.to_json(), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown_summary(report) + "\n")


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
@pass_state
def sync(
    state: State,
    environment: str,
    choice: Choice,
    dry_run: bool,
    approve: tuple[str, ...],
    report_path: Path | None,
    prune: bool,
) -> int:
    """Roll ENV out: wave by wave (canary first), dependency layer by layer, gates between
    waves, rollback per `onFailure` when a release or gate fails.

    Exit 0 done, 1 error (nothing changed when the plan step fails; also after an interrupt),
    3 rollout failed (rolled back per onFailure), 4 stopped before a wave that needs approval.
    """
    planned = make_plan(state, environment, choice, prune)
    if dry_run:
        state.echo(planned.redactor.text(text_view(planned.plan, state.style)))
        return EXIT_OK
    unknown = sorted(set(approve) - {w.name for w in planned.fleet.waves})
    if unknown:
        raise click.BadParameter(f"no wave named {unknown[0]!r}", param_hint="--approve")
    report = asyncio.run(_rollout(state, planned, approve))
    _write_reports(report, report_path)
    line = f"sync {environment}: {report.result.value} in {report.seconds:.1f}s"
    state.echo(planned.redactor.text(line + (f"; {report.next}" if report.next else "")), err=True)
    if report.error:
        state.echo(planned.redactor.text(f"error: {report.error}"), err=True)
    return report.exit_code


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option("--app", "app", required=True, help="The app to roll back.")
@click.option(
    "--cluster", "clusters", multiple=True, metavar="CLUSTER", help="Only this cluster (repeatable)."
)
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Only this region (repeatable).")
@pass_state
def rollback(
    state: State, environment: str, app: str, clusters: tuple[str, ...], regions: tuple[str, ...]
) -> int:
    """helm rollback of APP to its previous revision on every (selected) cluster."""
    fleet = state.fleet(environment)
    chosen = Choice(clusters, regions, (app,)).select(fleet.env)
    spec = fleet.env.apps[app]
    targets = [
        RollbackTarget(c, app, fleet.env.release_name(app), spec.namespace)
        for c in chosen.clusters
        if is_enabled(fleet.env, app, c)
    ]
    kube_targets = cluster_targets(fleet.env, state.kubeconfig)

    async def run() -> list[AppRollback]:
        helm = await HelmClients.from_env(os.environ)
        return await rollback_app(
            targets,
            lambda cluster: helm.for_target(kube_targets[cluster].target),
            SystemClock(),
            timeout=spec.timeout,
            progress=_progress(state),
        )

    results = asyncio.run(run())
    for result in results:
        state.echo(f"{result.target.cluster}: {result.target.release} {result.result.value}: {result.detail}")
    return EXIT_ERROR if any(r.result is RollbackResult.FAILED for r in results) else EXIT_OK


@cli.command()
@click.argument("environment", metavar="ENV")
@pass_state
def unlock(state: State, environment: str) -> None:
    """Remove the environment lock left by a crashed sync (from every cluster of ENV)."""
    env = state.load(environment)
    targets: list[ClusterTarget] = list(cluster_targets(env, state.kubeconfig).values())
    kube = KubeClients()
    try:
        removed = LeaseLock(kube, targets, env.name).break_lock()
    finally:
        kube.close()
    for line in removed:
        state.echo(f"removed the lock held by {line}")
    if not removed:
        state.echo(f"{environment} is not locked")
