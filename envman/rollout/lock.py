"""Holding the environment lock for a whole run, and an in-memory `Lock` for tests and demos.

`LockKeeper` acquires before the first wave (saying which Leases it took over from runs that
ended while a cluster was unreachable, or that expired), renews every `interval` seconds on the clock
while the run goes on, and releases at the end, on failure and on interrupt alike. A renewal
that finds the lock taken by another run stops the run (no new work starts). One that fails
for another reason (an unreachable cluster) is reported and retried with backoff (1 s,
doubling, at most `interval`); when the lock has gone unrenewed so long that it could expire
before the next try (`expiry`), the run stops too: another sync could otherwise start."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType

from envman.kit.errors import EnvmanError, LockHeld
from envman.rollout.events import Event, Phase, Scope
from envman.rollout.ports import Clock, Lock, LockHolder, Progress


class LockKeeper:
    """`async with LockKeeper(...)`: the lock is held inside the block."""

    def __init__(
        self,
        lock: Lock,
        holder: LockHolder,
        clock: Clock,
        interval: float,
        progress: Progress,
        on_lost: Callable[[str], None],
        expiry: float = 300.0,
    ) -> None:
        self._lock = lock
        self._holder = holder
        self._clock = clock
        self._interval = interval
        self._progress = progress
        self._on_lost = on_lost
        self._expiry = expiry
        self._renewer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LockKeeper:
        for taken_over in await self._lock.acquire(self._holder):
            self._tell(Phase.INFO, "taken-over", taken_over)
        self._tell(Phase.START, "acquired", f"held by {self._holder}")
        self._renewer = asyncio.create_task(self._renew_forever())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        try:
            await self._lock.release()
        except EnvmanError as exc:
            self._tell(Phase.FINISH, "failed", f"could not release the lock: {exc}")
        else:
            self._tell(Phase.FINISH, "released", "")

    async def _renew_forever(self) -> None:
        renewed, failures = self._clock.now(), 0
        while True:
            backoff = min(self._interval, 2.0 ** (failures - 1))
            await self._clock.sleep(backoff if failures else self._interval)
            try:
                await self._lock.renew()
            except LockHeld as exc:
                self._tell(Phase.INFO, "lost", str(exc))
                self._on_lost(f"lock lost: {exc}")
                return
            except EnvmanError as exc:
                failures += 1
                unrenewed = self._clock.now() - renewed
                if unrenewed + self._interval >= self._expiry:
                    why = f"the lock could not be renewed for {unrenewed:.0f}s and could expire ({exc})"
                    self._tell(Phase.INFO, "expiring", why)
                    self._on_lost(f"interrupted: {why}; no new work started")
                    return
                self._tell(Phase.INFO, "renew-failed", f"{exc}; retrying")
            else:
                if failures:
                    self._tell(
                        Phase.INFO, "renewed", f"renewed on every cluster after {failures} failed tries"
                    )
                renewed, failures = self._clock.now(), 0

    def _tell(self, phase: Phase, result: str, detail: str) -> None:
        self._progress.event(Event(Scope.LOCK, phase, result=result, detail=detail))


class InMemoryLock:
    """A `Lock` in a dict shared by the runs of one process: contention without a cluster."""

    def __init__(self, environment: str, table: dict[str, LockHolder] | None = None) -> None:
        self.environment = environment
        self.table: dict[str, LockHolder] = {} if table is None else table
        self.holder: LockHolder | None = None
        self.renewals = 0

    async def acquire(self, holder: LockHolder) -> list[str]:
        current = self.table.get(self.environment)
        if current is not None and current.identity() != holder.identity():
            raise LockHeld(
                f"environment {self.environment} is locked by {current}; wait for that run to finish, "
                f"or run `envman unlock {self.environment}` if it crashed"
            )
        self.table[self.environment] = self.holder = holder
        return []

    async def renew(self) -> None:
        current = self.table.get(self.environment)
        if self.holder is None or current is not self.holder:
            raise LockHeld(f"environment {self.environment} is now locked by {current or 'nobody'}")
        self.renewals += 1

    async def release(self) -> None:
        if self.holder is not None and self.table.get(self.environment) is self.holder:
            del self.table[self.environment]
        self.holder = None
