"""What gate checks run through, and the plain data they speak.

The rollout engine hands a check a `GateContext`: the run's clock and stop signal, the
engine's own ports (health, helm test) and, through `probe`, the probe its kind declares.
A kind that needs a probe declares it next to itself: its Protocol, and a `ProbeKey` typed
by it, in the kind's module (as `gates.http` does); the application wires a real probe
(`envman.adapters.probes`) to each key. A probe signals an expected failure with an
`EnvmanError` (usually `ProbeError`); anything else is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from envman.kit.errors import DriverError

_T = TypeVar("_T")
P = TypeVar("P")


class GateResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ProbeError(DriverError):
    """A gate's probe could not get an answer (connection refused, timeout, bad response)."""


@dataclass(frozen=True)
class ProbeKey(Generic[P]):
    """Names the probe a gate kind needs, typed by the probe's Protocol `P`: the kind declares
    `probe = ProbeKey[MyProbe]("mine")`, its check gets the probe with `ctx.probe(self.probe)`
    (a `MyProbe`), and the application wires a real `MyProbe` to the key."""

    name: str
    """The gate kind's name, to say which probe is missing."""


@dataclass(frozen=True)
class Deployed:
    """A release a wave installed or upgraded on a cluster: what health and helm test look at."""

    app: str
    release: str
    namespace: str


@dataclass(frozen=True)
class HealthResult:
    """One health poll: `ok` when every workload is rolled out and available."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class TestResult:
    """The outcome of `helm test`: a failed test is a result, not an error."""

    __test__ = False  # not a pytest test class

    release: str
    namespace: str
    passed: bool
    output: str


class Health(Protocol):
    async def check(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        """Poll once whether every workload of `releases` on `cluster` is rolled out and
        available; return promptly (the engine polls until the gate's timeout)."""
        ...


class HelmTester(Protocol):
    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        """Run the release's helm tests."""
        ...


class GateContext(Protocol):
    """What a gate check may use, provided by the rollout engine for one run."""

    def probe(self, key: ProbeKey[P]) -> P:
        """The run's probe for `key` (the one the check's kind declares)."""
        ...

    @property
    def root(self) -> Path:
        """The repository root: the working directory of command gates."""
        ...

    @property
    def concurrency(self) -> int:
        """How many releases of a cluster a check may look at at once."""
        ...

    @property
    def poll_seconds(self) -> float: ...

    def helm(self, cluster: str) -> HelmTester: ...

    async def health(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        """One health poll; a driver failure is an unhealthy answer."""
        ...

    def now(self) -> float:
        """The run's clock, in monotonic seconds."""
        ...

    async def pause(self, seconds: float) -> bool:
        """Sleep; False as soon as the run is stopped."""
        ...

    async def unless_stopped(self, work: Awaitable[_T]) -> _T | None:
        """The result of `work`, or None (and `work` cancelled) when the run stops first."""
        ...
