"""What one sync run shares across its steps: the ports, the options, the stop signal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from envman.gates.ports import Health
from envman.kit.errors import EnvmanError
from envman.kit.redact import Redactor
from envman.plan.workload_failures import FailFastSettings
from envman.rollout.events import Event, Phase, Scope
from envman.rollout.ports import (
    Clock,
    HelmFor,
    Lock,
    LockHolder,
    NoVerifications,
    NoWatcher,
    Probes,
    Progress,
    Prompt,
    Verifications,
    Watcher,
)
from envman.spec.models import OnFailure

_T = TypeVar("_T")


@dataclass(frozen=True)
class RolloutPorts:
    """The drivers a sync runs through; `probes`: those of the gate kinds that need one."""

    helm_for: HelmFor
    health: Health
    probes: Probes
    clock: Clock
    prompt: Prompt
    lock: Lock
    progress: Progress
    verifications: Verifications = field(default_factory=NoVerifications)
    watcher: Watcher = field(default_factory=NoWatcher)


@dataclass(frozen=True)
class RolloutOptions:
    """How a sync runs.

    `approve`: waves approved up front (`--approve WAVE`). `root`: the repository root, the
    working directory of command gates. `resume_command`: the command that re-runs this
    sync (default `envman sync ENV`), shown with `--approve WAVE` when approval is needed.
    `poll_seconds`: interval of health and HTTP polling; `bake_check_seconds`: interval of
    the bake's health checks; `uninstall_timeout`: helm timeout of an uninstall (it has no app).
    `lock_renew_seconds`: interval of lock renewals; `lock_expiry_seconds`: how long
    an unrenewed lock lasts (the run stops before that). `redactor`: every secret value.
    `fail_fast`: when a release waiting for readiness has failed (None: wait for helm).
    `commit`: the git commit of the repository, recorded on every release synced.
    """

    holder: LockHolder
    on_failure: OnFailure = "rollback-wave"
    concurrency: int = 4
    approve: frozenset[str] = frozenset()
    root: Path = field(default_factory=Path)
    resume_command: str | None = None
    poll_seconds: float = 5.0
    bake_check_seconds: float = 30.0
    lock_renew_seconds: float = 15.0
    lock_expiry_seconds: float = 300.0
    uninstall_timeout: float = 300.0
    redactor: Redactor = field(default_factory=Redactor)
    fail_fast: FailFastSettings | None = field(default_factory=FailFastSettings)
    commit: str | None = None


@dataclass
class FirstFailure:
    """A running wave: the first failure stops new work in it."""

    failure: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def fail(self, why: str) -> None:
        if self.failure is None:
            self.failure = why


@dataclass
class Run:
    """One sync: ports, options, the environment's name and the stop signal."""

    ports: RolloutPorts
    options: RolloutOptions
    environment: str
    stop: asyncio.Event
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by a second interrupt: in-flight helm calls are cancelled too."""
    stop_reason: str = "interrupted: stopped by a signal; in-flight helm calls finished, nothing rolled back"

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    @property
    def clock(self) -> Clock:
        return self.ports.clock

    def halt(self, reason: str) -> None:
        """Stop starting new work for `reason` (a lost lock)."""
        self.stop_reason = reason
        self.stop.set()

    def redact(self, text: str) -> str:
        return self.options.redactor.text(text)

    def emit(
        self,
        scope: Scope,
        phase: Phase,
        *,
        wave: str | None = None,
        cluster: str | None = None,
        name: str | None = None,
        result: str | None = None,
        detail: str = "",
        seconds: float | None = None,
        limit: float | None = None,
    ) -> None:
        """Tell the progress sink about a step, its detail redacted."""
        event = Event(scope, phase, wave, cluster, name, result, self.redact(detail), seconds, limit)
        self.ports.progress.event(event)

    async def pause(self, seconds: float) -> bool:
        """Sleep `seconds` on the clock; False, as soon as it happens, when the run is stopped."""
        await self.unless_stopped(self.clock.sleep(max(seconds, 0.0)))
        return not self.stopped

    async def unless_stopped(self, work: Awaitable[_T]) -> _T | None:
        """The result of `work`, or None (and `work` cancelled) when the run stops first."""
        task = await _unless(work, self.stop)
        return None if task.cancelled() else task.result()

    async def unless_cancelled(self, work: Awaitable[_T]) -> _T:
        """The result of `work`; `Cancelled` (and `work` cancelled, its helm process stopped)
        when a second interrupt comes first."""
        task = await _unless(work, self.cancel)
        if task.cancelled():
            raise Cancelled("cancelled by a second interrupt")
        return task.result()


class Cancelled(EnvmanError):
    """A helm call cancelled by a second interrupt."""


async def _unless(work: Awaitable[_T], event: asyncio.Event) -> asyncio.Future[_T]:
    """`work` run to its end, or cancelled as soon as `event` is set; the finished task."""
    task = asyncio.ensure_future(work)
    if event.is_set():
        task.cancel()
    waiter = asyncio.ensure_future(event.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, waiter):
        if not pending.done():
            pending.cancel()
    await asyncio.gather(task, waiter, return_exceptions=True)
    return task
