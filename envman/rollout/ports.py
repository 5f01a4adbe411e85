"""The Protocols the rollout engine depends on, and the plain data they speak.

Every port is injected: the CLI wires real drivers in (helm through pyhelm3, kube health and
the Lease lock, `envman.gates` for HTTP, Prometheus, commands, the clock and the prompt);
tests wire recording fakes. A port signals an expected failure with an `EnvmanError`
(usually a `DriverError`); anything else is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from envman.drivers.helm import Helm
from envman.kit.errors import DriverError
from envman.plan.model import ReleasePlan
from envman.rollout.events import Event

__all__ = [
    "Clock",
    "CommandRunner",
    "Health",
    "HealthResult",
    "Helm",
    "HelmFor",
    "HttpProbe",
    "Lock",
    "LockHolder",
    "ProbeError",
    "Progress",
    "PrometheusQuery",
    "Prompt",
]

HelmFor = Callable[[str], Helm]
"""The `Helm` driver of a cluster, by cluster name."""


class ProbeError(DriverError):
    """A gate's probe could not get an answer (connection refused, timeout, bad response)."""


@dataclass(frozen=True)
class HealthResult:
    """One health poll: `ok` when every workload is rolled out and available."""

    ok: bool
    detail: str


class Health(Protocol):
    async def check(self, cluster: str, releases: Sequence[ReleasePlan]) -> HealthResult:
        """Poll once whether every workload of `releases` on `cluster` is rolled out and
        available; return promptly (the engine polls until the gate's timeout)."""
        ...


class HttpProbe(Protocol):
    async def get(self, url: str, timeout: float) -> tuple[int, str]:
        """GET `url`: (status, body) for any HTTP answer; `ProbeError` when there is none."""
        ...


class PrometheusQuery(Protocol):
    async def query(self, base_url: str, promql: str, timeout: float) -> float | None:
        """The value of an instant query (None: no data); `ProbeError` on any failure."""
        ...


class CommandRunner(Protocol):
    async def run(self, argv: Sequence[str], timeout: float, cwd: str) -> tuple[int | None, str]:
        """Run `argv` (no shell) in `cwd`: (exit code, last lines of output); the exit code
        is None when the command ran out of time and was killed. `ProbeError` if it cannot start."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class Prompt(Protocol):
    def is_interactive(self) -> bool: ...

    async def confirm(self, question: str) -> bool: ...


class LockHolder(Protocol):
    """Who runs a sync, shown to a second run that finds the environment locked
    (`envman.drivers.kube_lock.LockHolder` is one); `str()` of it is for people."""

    def identity(self) -> str:
        """A stable string naming the holder, compared to tell runs apart."""
        ...


class Lock(Protocol):
    """The environment lock. `acquire` raises `LockHeld` naming the holder when another run
    holds it; `renew` raises `LockHeld` when the lock was lost to another run."""

    async def acquire(self, holder: LockHolder) -> None: ...

    async def renew(self) -> None: ...

    async def release(self) -> None: ...


class Progress(Protocol):
    def event(self, event: Event) -> None:
        """Show one start/finish/info event; must not block."""
        ...
