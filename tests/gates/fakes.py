"""Recording fakes of the gate kinds' probes, and a `GateContext` in virtual time, to run a
kind's check on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from envman.gates.kind import GateKind, GateSite, Outcome
from envman.gates.ports import Deployed, HealthResult, ProbeError, ProbeKey, TestResult
from envman.kit.errors import EnvmanError
from envman.rollout.ports import Probes

T = TypeVar("T")
P = TypeVar("P")


class FakeHttp:
    """Answers `status` (per URL, default 200) with body `ok`; records every URL. A URL in
    `script` answers its statuses in turn, the last one from then on; -1 is no answer."""

    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.script: dict[str, list[int]] = {}
        self.body = "ok"
        self.urls: list[str] = []

    async def get(self, url: str, timeout: float) -> tuple[int, str]:
        self.urls.append(url)
        script = self.script.get(url, [])
        status = script.pop(0) if len(script) > 1 else script[0] if script else self.status.get(url, 200)
        if status < 0:
            raise ProbeError("connection refused")
        return status, self.body


class FakePrometheus:
    """Answers `value` (or raises `error`); records every (URL, query)."""

    def __init__(self) -> None:
        self.value: float | None = 0.1
        self.error: EnvmanError | None = None
        self.queries: list[tuple[str, str]] = []

    async def query(self, base_url: str, promql: str, timeout: float) -> float | None:
        self.queries.append((base_url, promql))
        if self.error is not None:
            raise self.error
        return self.value


class FakeCommands:
    """Exits `exit_code` (None: timed out) with `ran ARGV` as output, or raises `error` if
    set; records every (argv, cwd)."""

    def __init__(self) -> None:
        self.exit_code: int | None = 0
        self.error: EnvmanError | None = None
        self.runs: list[tuple[tuple[str, ...], str]] = []

    async def run(self, argv: Sequence[str], timeout: float, cwd: str) -> tuple[int | None, str]:
        self.runs.append((tuple(argv), cwd))
        if self.error is not None:
            raise self.error
        return self.exit_code, f"ran {' '.join(argv)}"


class FakeTester:
    """helm test on one cluster: a release in `failing` fails with that output (or raises
    it, an `EnvmanError`); records every (cluster, release)."""

    def __init__(self, cluster: str, failing: Mapping[str, str | EnvmanError], tested: list[Any]) -> None:
        self.cluster, self.failing, self.tested = cluster, failing, tested

    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        self.tested.append((self.cluster, release))
        failure = self.failing.get(release)
        if isinstance(failure, EnvmanError):
            raise failure
        return TestResult(release, namespace, failure is None, failure or "all tests passed")


@dataclass
class FakeGateContext:
    """A `GateContext` in virtual time: `pause` moves `time` on at once; the run counts as
    stopped from `stop_at` on. Health answers `unhealthy` (None: healthy); helm tests fail
    for the releases in `test_failing`."""

    probes: Probes = field(default_factory=Probes)
    root: Path = Path("/repo")
    concurrency: int = 4
    poll_seconds: float = 5.0
    time: float = 0.0
    stop_at: float | None = None
    unhealthy: str | None = None
    test_failing: dict[str, str | EnvmanError] = field(default_factory=dict)
    health_polls: list[tuple[str, tuple[str, ...], float]] = field(default_factory=list)
    tested: list[tuple[str, str]] = field(default_factory=list)

    def probe(self, key: ProbeKey[P]) -> P:
        return self.probes.get(key)

    def helm(self, cluster: str) -> FakeTester:
        return FakeTester(cluster, self.test_failing, self.tested)

    async def health(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        self.health_polls.append((cluster, tuple(r.app for r in releases), self.time))
        if self.unhealthy is not None:
            return HealthResult(False, self.unhealthy)
        return HealthResult(True, f"{len(releases)} releases available")

    def now(self) -> float:
        return self.time

    @property
    def stopped(self) -> bool:
        return self.stop_at is not None and self.time >= self.stop_at

    async def pause(self, seconds: float) -> bool:
        if not self.stopped:
            self.time += seconds
        return not self.stopped

    async def unless_stopped(self, work: Awaitable[T]) -> T | None:
        task = asyncio.ensure_future(work)
        if self.stopped:
            task.cancel()
            return None
        return await task


def site(cluster: str | None = "c1", region: str | None = "us-east-1", **values: str) -> GateSite:
    """A site of wave `us` of `prod`: one cluster, or (`cluster=None`) a region."""
    names = {"environment": "prod", "wave": "us", **({"region": region} if region else {})}
    names.update({"cluster": cluster} if cluster else {}, **values)
    return GateSite(cluster, region, (cluster,) if cluster else ("c1", "c2"), names)


DEPLOYED = (Deployed("db", "db", "data"), Deployed("api", "api", "web"))


async def check(
    kind: GateKind[Any],
    config: Mapping[str, Any],
    ctx: FakeGateContext,
    at: GateSite | None = None,
    deployed: Sequence[Deployed] = DEPLOYED,
) -> Outcome:
    """One run of `kind`'s check with `config` (as written in the spec) at `at` (`site()`)."""
    settings = kind.config.model_validate(config, strict=False)
    return await kind.check(settings, at or site(), deployed, ctx)
