"""The `GateContext` a sync hands gate checks: its probes, clock and stop signal."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TypeVar

from envman.gates.ports import Deployed, HealthResult, HelmTester, ProbeKey
from envman.kit.errors import EnvmanError
from envman.rollout.context import Run

_T = TypeVar("_T")
P = TypeVar("P")


class RunGateContext:
    """`GateContext` over one sync `Run`."""

    def __init__(self, run: Run) -> None:
        self._run = run

    def probe(self, key: ProbeKey[P]) -> P:
        return self._run.ports.probes.get(key)

    @property
    def root(self) -> Path:
        return self._run.options.root

    @property
    def concurrency(self) -> int:
        return self._run.options.concurrency

    @property
    def poll_seconds(self) -> float:
        return self._run.options.poll_seconds

    def helm(self, cluster: str) -> HelmTester:
        return self._run.ports.helm_for(cluster)

    async def health(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        return await poll_health(self._run, cluster, releases)

    def now(self) -> float:
        return self._run.clock.now()

    async def pause(self, seconds: float) -> bool:
        return await self._run.pause(seconds)

    async def unless_stopped(self, work: Awaitable[_T]) -> _T | None:
        return await self._run.unless_stopped(work)


async def poll_health(run: Run, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
    """One health poll; a driver failure is an unhealthy answer."""
    try:
        return await run.ports.health.check(cluster, releases)
    except EnvmanError as exc:
        return HealthResult(False, f"health check failed: {exc}")
