"""Recording fakes at the engine's Protocol seams, a virtual-time clock, and plan builders."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from envman.gates.command import Command
from envman.gates.http import Http
from envman.gates.ports import Deployed, HealthResult, TestResult
from envman.gates.prometheus import Prometheus
from envman.kit.errors import HelmError, KubeError
from envman.kit.redact import Redactor
from envman.plan.cluster_state import LiveRelease
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.model import Action, ClusterPlan, Plan, ReleasePlan, WavePlan
from envman.plan.waves import WaveSettings
from envman.plan.workload_failures import FailFastSettings, WorkloadFailure
from envman.rollout.context import RolloutOptions, RolloutPorts
from envman.rollout.engine import sync
from envman.rollout.events import Event
from envman.rollout.lock import InMemoryLock
from envman.rollout.ports import LockHolder, Probes, ReleaseRevision
from envman.rollout.report import Report
from envman.spec.models import Gate
from tests.gates.fakes import FakeCommands, FakeHttp, FakePrometheus

T = TypeVar("T")
SECRET = "hunter2-db-password"


class FakeClock:
    """Virtual time: `sleep` waits until `run` advances time to its deadline, which it does
    only once every task is waiting (after the event loop has settled)."""

    def __init__(self) -> None:
        self.time = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.time + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(50):
                await asyncio.sleep(0)
            if task.done():
                break
            self._wake_next()
        return task.result()

    def _wake_next(self) -> None:
        while self._sleepers:
            deadline, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                self.time = max(self.time, deadline)
                future.set_result(None)
                return


@dataclass
class HelmCall:
    verb: str
    cluster: str
    release: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.verb, self.cluster, self.release)


class FakeFleet:
    """Every cluster's fake helm: calls take `seconds` of virtual time, are recorded in start
    order, and fail where `fail` says so. Tracks how many run at once per cluster and how
    many clusters have a call running."""

    def __init__(self, clock: FakeClock, seconds: float = 10.0) -> None:
        self.clock = clock
        self.seconds = seconds
        self.calls: list[HelmCall] = []
        self.fail: dict[tuple[str, str, str], str | HelmError] = {}
        self.test_fail: dict[tuple[str, str], str] = {}
        self.before: Callable[[HelmCall], Awaitable[None]] | None = None
        self.running: dict[str, int] = {}
        self.max_per_cluster: dict[str, int] = {}
        self.max_clusters = 0
        self._revisions = itertools.count(100)

    def helm_for(self, cluster: str) -> FakeHelm:
        return FakeHelm(self, cluster)

    def keys(self, *verbs: str) -> list[tuple[str, str, str]]:
        return [c.key for c in self.calls if not verbs or c.verb in verbs]

    async def call(self, call: HelmCall) -> int:
        self.calls.append(call)
        self.running[call.cluster] = self.running.get(call.cluster, 0) + 1
        self.max_per_cluster[call.cluster] = max(
            self.max_per_cluster.get(call.cluster, 0), self.running[call.cluster]
        )
        self.max_clusters = max(self.max_clusters, sum(1 for n in self.running.values() if n))
        try:
            if self.before is not None:
                await self.before(call)
            await self.clock.sleep(self.seconds)
        finally:
            self.running[call.cluster] -= 1
        if call.key in self.fail:
            failure = self.fail[call.key]
            raise failure if isinstance(failure, HelmError) else HelmError(failure)
        return next(self._revisions)


def _revision(release: str, namespace: str, number: int) -> ReleaseRevision:
    return ReleaseRevision(release, namespace, number, "deployed", "chart", "1.0.0", "1.0", datetime.now(UTC))


class FakeHelm:
    """`ReleaseOps`: the helm operations the rollout uses, for one cluster."""

    def __init__(self, fleet: FakeFleet, cluster: str) -> None:
        self.fleet = fleet
        self.cluster = cluster

    async def upgrade_install(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        timeout: float,
        labels: Mapping[str, str],
        wait: bool = True,
        create_namespace: bool = True,
        force: bool = False,
        recover: bool = True,
        force_conflicts: bool = False,
    ) -> ReleaseRevision:
        kwargs = {
            "chart": chart,
            "values": dict(values),
            "timeout": timeout,
            "labels": dict(labels),
            "wait": wait,
            "recover": recover,
        }
        number = await self.fleet.call(HelmCall("upgrade_install", self.cluster, release, kwargs))
        return _revision(release, namespace, number)

    async def rollback(
        self, release: str, namespace: str, revision: int | None = None, *, timeout: float, wait: bool = True
    ) -> ReleaseRevision:
        kwargs = {"revision": revision, "timeout": timeout, "wait": wait}
        number = await self.fleet.call(HelmCall("rollback", self.cluster, release, kwargs))
        return _revision(release, namespace, number)

    async def uninstall(self, release: str, namespace: str, *, timeout: float, wait: bool = True) -> None:
        await self.fleet.call(
            HelmCall("uninstall", self.cluster, release, {"timeout": timeout, "wait": wait})
        )

    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        self.fleet.calls.append(HelmCall("test", self.cluster, release, {"timeout": timeout}))
        failure = self.fleet.test_fail.get((self.cluster, release))
        return TestResult(release, namespace, failure is None, failure or "all tests passed")

    async def history(self, release: str, namespace: str) -> list[ReleaseRevision]:
        self.fleet.calls.append(HelmCall("history", self.cluster, release))
        return [_revision(release, namespace, n) for n in (1, 2, 3)]


class FakeHealth:
    """Healthy unless `unhealthy` names the cluster (from a virtual time on, optionally)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.unhealthy: dict[str, float] = {}
        self.checks: list[tuple[str, tuple[str, ...], float]] = []

    async def check(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        self.checks.append((cluster, tuple(r.app for r in releases), self.clock.now()))
        since = self.unhealthy.get(cluster)
        if since is not None and self.clock.now() >= since:
            return HealthResult(False, f"deployment api: 0/1 available (password {SECRET})")
        return HealthResult(True, f"{len(releases)} releases available")


class FakePrompt:
    def __init__(self, interactive: bool = False, answer: bool = True) -> None:
        self.interactive = interactive
        self.answer = answer
        self.questions: list[str] = []

    def is_interactive(self) -> bool:
        return self.interactive

    async def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer


class RecordingLock(InMemoryLock):
    """The in-memory lock, recording acquire/renew/release with their virtual times."""

    def __init__(self, clock: FakeClock, table: dict[str, LockHolder] | None = None) -> None:
        super().__init__("prod", table)
        self.clock = clock
        self.log: list[tuple[str, float]] = []
        self.unreachable_until = 0.0
        """Renewals before this virtual time fail as an unreachable cluster would."""
        self.taken_over: list[str] = []
        """What `acquire` says it took over from ended or expired runs."""

    async def acquire(self, holder: LockHolder) -> list[str]:
        await super().acquire(holder)
        self.log.append(("acquire", self.clock.now()))
        return list(self.taken_over)

    async def renew(self) -> None:
        self.log.append(("renew", self.clock.now()))
        if self.clock.now() < self.unreachable_until:
            raise KubeError("cluster 'c1': renew the lock: cannot reach the API server (connection refused)")
        await super().renew()

    async def release(self) -> None:
        self.log.append(("release", self.clock.now()))
        await super().release()


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def event(self, event: Event) -> None:
        self.events.append(event)


class FakeVerifications:
    """Records every verification; raises for a cluster in `failing`."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, str]]] = []
        self.failing: set[str] = set()

    async def record(self, cluster: str, wave: str, releases: Mapping[str, str], at: str) -> None:
        if cluster in self.failing:
            raise KubeError(f"cluster {cluster!r}: update configmap: 503 Service Unavailable")
        self.records.append((cluster, wave, dict(releases)))


class FakeWatcher:
    """Fail fast's watcher: the release `failing[(cluster, release)]` fails after `at`
    virtual seconds; `broken` clusters cannot be read; each watch reports `pods` if set."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.failing: dict[tuple[str, str], tuple[float, WorkloadFailure]] = {}
        self.broken: set[str] = set()
        self.watched: list[tuple[str, str]] = []
        self.pods: str | None = None

    async def failure(
        self,
        cluster: str,
        release: str,
        namespace: str,
        settings: FailFastSettings,
        pods: Callable[[str], None],
    ) -> WorkloadFailure:
        self.watched.append((cluster, release))
        if cluster in self.broken:
            raise KubeError(f"cluster {cluster!r}: list pods: connection refused")
        if self.pods is not None:
            pods(self.pods)
        if (cluster, release) in self.failing:
            at, failure = self.failing[cluster, release]
            await self.clock.sleep(at)
            return failure
        await asyncio.Future()
        raise AssertionError("unreachable")


@dataclass
class World:
    """A complete set of fakes wired as the engine's ports."""

    clock: FakeClock = field(default_factory=FakeClock)
    prompt: FakePrompt = field(default_factory=FakePrompt)
    http: FakeHttp = field(default_factory=FakeHttp)
    prometheus: FakePrometheus = field(default_factory=FakePrometheus)
    commands: FakeCommands = field(default_factory=FakeCommands)
    progress: RecordingProgress = field(default_factory=RecordingProgress)

    def __post_init__(self) -> None:
        self.helm = FakeFleet(self.clock)
        self.health = FakeHealth(self.clock)
        self.lock = RecordingLock(self.clock)
        self.verifications = FakeVerifications()
        self.watcher = FakeWatcher(self.clock)

    def probes(self) -> Probes:
        return (
            Probes()
            .with_probe(Http.probe, self.http)
            .with_probe(Prometheus.probe, self.prometheus)
            .with_probe(Command.probe, self.commands)
        )

    def ports(self) -> RolloutPorts:
        return RolloutPorts(
            self.helm.helm_for,
            self.health,
            self.probes(),
            self.clock,
            self.prompt,
            self.lock,
            self.progress,
            self.verifications,
            self.watcher,
        )


@dataclass(frozen=True)
class Holder:
    name: str

    def identity(self) -> str:
        return self.name

    def __str__(self) -> str:
        return f"{self.name} (pid 1)"


HOLDER = Holder("ci@runner")


def options(**overrides: Any) -> RolloutOptions:
    defaults: dict[str, Any] = {"root": Path("/repo"), "redactor": Redactor([SECRET])}
    return RolloutOptions(HOLDER, **{**defaults, **overrides})


# Plan builders ------------------------------------------------------------------------------


def release(
    cluster: str, app: str, action: str = "upgrade", *, region: str = "us-east-1", revision: int = 3
) -> ReleasePlan:
    act = Action(action)
    desired = None
    if act is not Action.UNINSTALL:
        values = {"image": {"tag": "2.0"}, "db": {"password": SECRET}}
        desired = DesiredRelease(
            cluster,
            region,
            app,
            app,
            app,
            ChartSource(f"/repo/charts/{app}", "1.0.0"),
            values,
            ("db.password",),
            120.0,
        )
    live = None
    if act is not Action.INSTALL:
        live = LiveRelease(app, app, revision, "deployed", app, "0.9.0")
    digest = f"digest-{app}" if desired is not None else None
    return ReleasePlan(cluster, app, app, app, act, desired, live, digest=digest)


def cluster(
    name: str,
    layers: Sequence[Sequence[str]] = (("db",), ("api", "web")),
    *,
    region: str = "us-east-1",
    **actions: str,
) -> ClusterPlan:
    """A cluster whose apps upgrade unless `actions` says otherwise (app=action)."""
    built = tuple(
        tuple(release(name, app, actions.get(app, "upgrade"), region=region) for app in layer)
        for layer in layers
    )
    return ClusterPlan(name, region, built)


def unchanged(name: str, *, region: str = "us-east-1") -> ClusterPlan:
    return cluster(name, region=region, db="unchanged", api="unchanged", web="unchanged")


def wave(
    name: str,
    *clusters: ClusterPlan,
    gates: Sequence[Gate] = (),
    bake: float | None = None,
    approval: bool = False,
    max_parallel: int = 1,
    unverified: Sequence[tuple[str, str]] = (),
) -> WavePlan:
    plan = WaveSettings(name, tuple(c.name for c in clusters), tuple(gates), bake, approval, max_parallel)
    return WavePlan(plan, tuple(clusters), frozenset(unverified))


def plan(*waves: WavePlan) -> Plan:
    return Plan("prod", tuple(waves))


def gate(**spec: Any) -> Gate:
    return Gate.model_validate(spec, strict=False)


async def run_sync(
    world: World,
    the_plan: Plan,
    stop: asyncio.Event | None = None,
    cancel: asyncio.Event | None = None,
    **overrides: Any,
) -> Report:
    """`sync` of `the_plan` through `world`, in virtual time."""
    return await world.clock.run(
        sync(the_plan, world.ports(), options(**overrides), stop=stop, cancel=cancel)
    )
