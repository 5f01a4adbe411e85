"""`sync`, `rollback` and `unlock`: the real adapters wired into the rollout engine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from envman.adapters.clock import SystemClock
from envman.adapters.kube.lock import LeaseLock, SyncHolder
from envman.adapters.kube.rollout_ports import KubeHealth, KubeLock, KubeVerifications
from envman.adapters.kube.watch import KubeWatcher
from envman.adapters.probes.command import SubprocessRunner
from envman.adapters.probes.http import UrllibHttpProbe
from envman.adapters.probes.prometheus import PrometheusApi
from envman.adapters.prompt import TtyPrompt
from envman.application.app import Application, Choice
from envman.application.planning import Planned
from envman.kit.errors import EnvmanError
from envman.kit.inert import inert
from envman.output.progress import showing
from envman.output.report_markdown import markdown_summary
from envman.plan.values import is_enabled
from envman.plan.waves import rollout_of
from envman.plan.workload_failures import FailFastSettings
from envman.promote.errors import GitError
from envman.promote.gitops import Git
from envman.rollout.app_rollback import AppRollback, RollbackTarget, rollback_app
from envman.rollout.context import RolloutOptions, RolloutPorts
from envman.rollout.engine import sync as run_sync
from envman.rollout.events import Event, Phase, Scope
from envman.rollout.lock import LockKeeper
from envman.rollout.ports import Progress
from envman.rollout.report import Report
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
    targets = app.targets(env)
    helm = await app.helm()
    rollout = rollout_of(env)
    ports = RolloutPorts(
        helm_for=lambda cluster: helm.for_target(targets[cluster].target),
        health=KubeHealth(app.kube, targets),
        http=UrllibHttpProbe(),
        prometheus=PrometheusApi(),
        commands=SubprocessRunner(),
        clock=SystemClock(),
        prompt=TtyPrompt(),
        lock=KubeLock(app.kube, list(targets.values()), env.name, commands.unlock),
        progress=progress,
        verifications=KubeVerifications(app.kube, targets, env.name),
        watcher=KubeWatcher(app.kube, targets),
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
    )
    async with _interrupts(progress) as (stop, cancel), showing(progress):
        return await run_sync(planned.plan, ports, options, stop=stop, cancel=cancel)


def fail_fast_settings(spec: bool | FailFast) -> FailFastSettings | None:
    """`rollout.failFast` as the engine takes it: None when off."""
    if spec is False:
        return None
    if spec is True:
        return FailFastSettings()
    return FailFastSettings(spec.restarts, spec.unschedulable)


def repository_commit(root: Path) -> str | None:
    """The git commit the repository is at, or None outside git (or before a first commit)."""
    try:
        return Git(root).described_head()
    except GitError:
        return None


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
        path.write_text(app.redactor.text(report.to_json()), encoding="utf-8")
    summary = app.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(app.redactor.text(inert(markdown_summary(report))) + "\n")


async def rollback(
    app: Application,
    environment: str,
    name: str,
    choice: Choice,
    progress: Progress,
    to_revision: int | None = None,
) -> list[AppRollback]:
    """`envman rollback`: app `name` to `to_revision` (default: its previous revision) on
    every selected cluster, holding the environment lock (a running sync refuses it)."""
    fleet = app.fleet(environment)
    chosen = replace(choice, apps=(name,)).select(fleet.env)
    spec = fleet.env.apps[name]
    targets = [
        RollbackTarget(c, name, fleet.env.release_name(name), spec.namespace)
        for c in chosen.clusters
        if is_enabled(fleet.env, name, c)
    ]
    kube_targets = app.targets(fleet.env)
    helm = await app.helm()
    clock = SystemClock()
    lock = KubeLock(app.kube, list(kube_targets.values()), fleet.env.name)
    renew = RolloutOptions.lock_renew_seconds  # the interval a sync renews at
    keeper = LockKeeper(lock, SyncHolder.current(app.environ), clock, renew, progress, _lost)
    async with showing(progress), keeper:
        return await rollback_app(
            targets,
            lambda cluster: helm.for_target(kube_targets[cluster].target),
            clock,
            timeout=spec.timeout,
            progress=progress,
            redactor=app.redactor,
            to_revision=to_revision,
        )


def _lost(reason: str) -> None:
    """A rollback in flight finishes even if its lock is lost (the keeper has said so)."""


def unlock(app: Application, environment: str) -> list[str]:
    """Remove the environment lock from every cluster; who held it, per cluster."""
    env = app.load(environment)
    return LeaseLock(app.kube, list(app.targets(env).values()), env.name).break_lock()
