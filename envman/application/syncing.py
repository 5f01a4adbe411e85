"""`sync`, `rollback` and `unlock`: the real adapters wired into the rollout engine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envman.adapters.clock import SystemClock
from envman.adapters.kube.lock import SyncHolder
from envman.adapters.prompt import TtyPrompt
from envman.application.app import Application, Choice
from envman.application.engines import engine_for
from envman.application.gate_probes import real_probes
from envman.application.git_source import repository_commit
from envman.application.inspection import history
from envman.application.planning import Planned
from envman.kit.errors import EnvmanError
from envman.kit.inert import inert
from envman.output.progress import showing
from envman.output.report_markdown import markdown_summary
from envman.plan.waves import rollout_of
from envman.plan.workload_failures import FailFastSettings
from envman.rollout.app_rollback import AppRollback, rollback_app
from envman.rollout.context import RolloutOptions, RolloutPorts
from envman.rollout.engine import sync as run_sync
from envman.rollout.events import Event, Phase, Scope
from envman.rollout.lock import LockKeeper
from envman.rollout.ports import Progress
from envman.rollout.report import Report
from envman.rollout.rollback_choice import RollbackPlan, RollbackRefused, RollbackTarget, Wanted, choose
from envman.spec.models import FailFast

_STOPPING = "no new work starts; in-flight helm calls finish (interrupt again to cancel them)"
_CANCELLING = "cancelling in-flight helm calls; their releases are put back"


@dataclass(frozen=True)
class Continuations:
    """The complete commands a sync prints to go on: run again (`--approve WAVE` is appended),
    and remove a crashed run's lock."""

    resume: str
    unlock: str


@contextlib.asynccontextmanager
async def _interrupts(progress: Progress) -> AsyncIterator[tuple[asyncio.Event, asyncio.Event]]:
    """SIGINT/SIGTERM set `stop`: no new work starts, in-flight helm calls finish. A second
    one sets `cancel` too: in-flight helm calls are stopped and their releases put back."""
    stop, cancel = asyncio.Event(), asyncio.Event()

    def interrupted() -> None:
        second = stop.is_set()
        (cancel if second else stop).set()
        detail, result = (_CANCELLING, "cancelling") if second else (_STOPPING, "stopping")
        progress.event(Event(Scope.RUN, Phase.INFO, result=result, detail=detail))

    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    for sig in signals:
        loop.add_signal_handler(sig, interrupted)
    try:
        yield stop, cancel
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def sync(
    app: Application,
    planned: Planned,
    approve: Sequence[str],
    progress: Progress,
    commands: Continuations,
) -> Report:
    """Roll `planned` out through the real adapters; the report says what happened."""
    env = planned.fleet.env
    engine = engine_for(app, planned.fleet)  # helm against each cluster, or Argo CD on the hub
    rollout = rollout_of(env)
    ports = RolloutPorts(
        helm_for=await engine.release_ops(),
        health=engine.health(),
        probes=real_probes(),
        clock=SystemClock(),
        prompt=TtyPrompt(),
        lock=engine.lock(commands.unlock),
        progress=progress,
        verifications=engine.verifications(),
        watcher=engine.watcher(),
    )
    options = RolloutOptions(
        holder=SyncHolder.current(app.environ),
        on_failure=rollout.onFailure,
        concurrency=rollout.concurrency,
        approve=frozenset(approve),
        root=app.root,
        resume_command=commands.resume,
        redactor=app.redactor,
        fail_fast=fail_fast_settings(rollout.failFast),
        commit=repository_commit(app.root),
        lock_renew_seconds=lock_renew_seconds(app.environ),
    )
    async with _interrupts(progress) as (stop, cancel), showing(progress):
        return await run_sync(planned.plan, ports, options, stop=stop, cancel=cancel)


RENEW_VARIABLE = "ENVMAN_LOCK_RENEW_SECONDS"


def lock_renew_seconds(environ: Mapping[str, str]) -> float:
    """How often a run renews its lock: 15 s, or `$ENVMAN_LOCK_RENEW_SECONDS` (at least 1 s and
    less than the lock's 300 s: the tests of outages use a few seconds)."""
    text = environ.get(RENEW_VARIABLE)
    if not text:
        return RolloutOptions.lock_renew_seconds
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1.0 <= seconds < RolloutOptions.lock_expiry_seconds:
        raise EnvmanError(f"{RENEW_VARIABLE}={text!r}: expected seconds from 1 to under 300")
    return seconds


def fail_fast_settings(spec: bool | FailFast) -> FailFastSettings | None:
    """`rollout.failFast` as the engine takes it: None when off."""
    if spec is False:
        return None
    if spec is True:
        return FailFastSettings()
    return FailFastSettings(spec.restarts, spec.unschedulable)


def check_outputs(app: Application, path: Path | None) -> None:
    """Before anything changes: the report file and `$GITHUB_STEP_SUMMARY` can be written."""
    summary = app.environ.get("GITHUB_STEP_SUMMARY")
    for what, target in (("--report", path), ("$GITHUB_STEP_SUMMARY", Path(summary) if summary else None)):
        if target is not None and not _writable(target):
            raise EnvmanError(f"{what} {target}: cannot write there (no such directory, or no permission)")


def _writable(path: Path) -> bool:
    if path.exists():
        return path.is_file() and os.access(path, os.W_OK)
    parent = path.parent if str(path.parent) else Path()
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def write_reports(app: Application, report: Report, path: Path | None) -> None:
    """The JSON report to `path` (exact text, JSON-escaped), the markdown summary appended to
    `$GITHUB_STEP_SUMMARY` (text from outside made inert)."""
    if path is not None:
        app.write(path, report.to_json())
    summary = app.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        app.write(Path(summary), inert(markdown_summary(report)) + "\n", append=True)


async def plan_rollback(
    app: Application, environment: str, name: str, choice: Choice, wanted: Wanted
) -> RollbackPlan:
    """`envman rollback`, before anything changes: app `name`'s history on every selected
    cluster where it is enabled (one LIST per cluster), and what each will go back to;
    `RollbackRefused` (exit 1) names every cluster that lacks the target."""
    fleet = app.fleet(environment)
    found = await history(app, environment, name, choice)
    spec = fleet.env.apps[name]
    targets = [RollbackTarget(h.cluster, name, h.release, spec.namespace) for h in found]
    return choose(targets, {h.cluster: h.revisions for h in found}, wanted, fleet.waves)


async def rollback(
    app: Application,
    environment: str,
    choice: Choice,
    plan: RollbackPlan,
    progress: Progress,
) -> list[AppRollback]:
    """Run `plan` holding the environment lock (a running sync refuses it), after checking
    under the lock that no selected cluster moved since it was planned. SIGINT/SIGTERM:
    no new step starts, the running ones finish."""
    fleet = app.fleet(environment)
    engine = engine_for(app, fleet)
    clock = SystemClock()
    renew = lock_renew_seconds(app.environ)  # the interval a sync renews at
    keeper = LockKeeper(engine.lock(), SyncHolder.current(app.environ), clock, renew, progress, _lost)
    async with _interrupts(progress) as (stop, _), showing(progress), keeper:
        now = await plan_rollback(app, environment, plan.app, choice, plan.wanted)
        if _moves(now) != _moves(plan):
            raise RollbackRefused(
                f"the releases of {plan.app} changed since the rollback was planned (another run?); "
                "nothing was changed: run it again"
            )
        return await rollback_app(
            plan,
            await engine.release_ops(),
            clock,
            timeout=fleet.env.apps[plan.app].timeout,
            progress=progress,
            redactor=app.redactor,
            stop=stop,
        )


def _moves(plan: RollbackPlan) -> tuple[tuple[str, int, int], ...]:
    return tuple((s.target.cluster, s.from_revision, s.to_revision) for s in plan.steps) + tuple(
        (t.cluster, n, n) for t, n in plan.unchanged
    )


def _lost(reason: str) -> None:
    """A rollback in flight finishes even if its lock is lost (the keeper has said so)."""


def unlock(app: Application, environment: str) -> list[str]:
    """Remove the environment lock from every cluster; who held it, per cluster."""
    return engine_for(app, app.fleet(environment)).break_lock()
