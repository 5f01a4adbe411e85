"""What the live view of a sync knows: every wave, cluster, release and gate, and how far each
got, from the plan up front and then from the engine's events (`LiveState.apply`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from envman.plan.model import Plan, WavePlan
from envman.rollout.events import Event, Phase, Scope

PENDING = "pending"
NOT_STARTED = "not-started"
RUNNING = "running"
ROLLING_BACK = "rolling back"
_DOING = {"install": "installing", "upgrade": "upgrading", "uninstall": "uninstalling"}
_ROLLED = {"succeeded": "rolled-back", "failed": "rollback-failed"}
_APP_ROLLBACK = "rollback"
"""The wave `envman rollback` shows its releases under (its events name no wave)."""
_NOTABLE = (Scope.RUN, Scope.LOCK, Scope.APPROVAL)
_READY = re.compile(r"^(\d+/\d+ \w+)(.*)$")


@dataclass
class Step:
    """A wave, cluster, release or gate site: its status and its times."""

    status: str = PENDING
    started: float | None = None
    seconds: float | None = None
    limit: float | None = None
    detail: str = ""
    pods: str = ""
    note: str = ""
    """What a running step's last progress said beside its pods."""
    text: str = ""
    """The whole detail of a finished step (`detail` is its first line)."""

    @property
    def running(self) -> bool:
        return self.started is not None and self.seconds is None

    @property
    def done(self) -> bool:
        return not self.running and self.status != PENDING

    def start(self, now: float, status: str = RUNNING, limit: float | None = None) -> None:
        self.status, self.started, self.seconds, self.limit = status, now, None, limit
        self.pods = self.note = ""

    def finish(self, event: Event, now: float, status: str | None = None) -> None:
        self.status = status or event.result or "done"
        start = self.started if self.started is not None else now
        self.seconds = event.seconds if event.seconds is not None else now - start
        self.detail, self.text, self.note = first_line(event.detail), event.detail.strip(), ""

    def elapsed(self, now: float) -> float | None:
        if self.seconds is not None:
            return self.seconds
        return None if self.started is None else now - self.started


@dataclass(eq=False)
class ClusterView:
    name: str
    step: Step
    releases: dict[str, Step] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(_bad(s.status) for s in (self.step, *self.releases.values()))


@dataclass(eq=False)
class WaveView:
    name: str
    step: Step = field(default_factory=Step)
    clusters: dict[str, ClusterView] = field(default_factory=dict)
    gates: dict[str, dict[str, Step]] = field(default_factory=dict)
    """Gate kind (and `bake`) in the spec's order, then each site (cluster, region, or `""`)."""
    bake: float | None = None
    rollbacks: dict[tuple[str, str], Step] = field(default_factory=dict)

    @property
    def rolling_back(self) -> bool:
        return any(s.running for s in self.rollbacks.values())

    @property
    def expanded(self) -> bool:
        """Shown with its clusters: it runs, or its releases are being rolled back."""
        return self.step.running or self.rolling_back

    def cluster(self, name: str) -> ClusterView:
        return self.clusters.setdefault(name, ClusterView(name, Step()))


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _pods(text: str) -> tuple[str, str]:
    """`2/3 ready (ContainerCreating: ...)` as the pods column (`2/3 ready`) and a note."""
    match = _READY.match(text)
    if match is None:
        return text, ""
    return match.group(1), match.group(2).strip().removeprefix("(").removesuffix(")")


def _bad(status: str) -> bool:
    return status in ("failed", "rollback-failed", "lost")


def _wave_of(plan: WavePlan) -> WaveView:
    view = WaveView(plan.name, bake=plan.settings.bake_seconds)
    for cluster in plan.clusters:
        status = PENDING if cluster.changed else "unchanged"
        view.clusters[cluster.name] = ClusterView(
            cluster.name, Step(status), {r.app: Step() for r in cluster.releases if r.changed}
        )
    for gate in plan.settings.gates:
        view.gates.setdefault(gate.kind, {})
    if plan.settings.bake_seconds:
        view.gates["bake"] = {}
    return view


class LiveState:
    """The waves of a run, in order: those of the plan (if any) from the start, others as
    their events arrive."""

    def __init__(self, plan: Plan | None, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.waves: dict[str, WaveView] = {w.name: _wave_of(w) for w in (plan.waves if plan else ())}

    def apply(self, event: Event) -> bool:
        """Take in `event`; True when it is one to print above the view: run, lock and
        approval events, and any other news (`verification not recorded ...`)."""
        if event.scope is Scope.RUN and event.phase is Phase.FINISH:
            self._not_started()
        if event.scope in _NOTABLE or (event.phase is Phase.INFO and event.result != "unchanged"):
            return True
        wave = self._wave(event.wave or _APP_ROLLBACK)
        now = self.clock()
        if event.scope is Scope.WAVE:
            _wave_event(wave, event, now)
        elif event.scope is Scope.CLUSTER:
            _cluster_event(wave.cluster(event.cluster or ""), event, now)
        elif event.scope is Scope.RELEASE:
            _release_event(wave.cluster(event.cluster or "").releases, event, now)
        elif event.scope is Scope.GATE:
            _gate_event(wave, event, now)
        elif event.scope is Scope.ROLLBACK:
            _rollback_event(wave, event, now, app=event.wave is None)
        return False

    def _not_started(self) -> None:
        """The run ended: what is still pending never started (as the report says)."""
        for wave in self.waves.values():
            for step in (wave.step, *(c.step for c in wave.clusters.values())):
                if step.status == PENDING:
                    step.status = NOT_STARTED

    def _wave(self, name: str) -> WaveView:
        return self.waves.setdefault(name, WaveView(name))


def _wave_event(wave: WaveView, event: Event, now: float) -> None:
    if event.phase is Phase.START:
        wave.step.start(now)
    elif event.phase is Phase.FINISH:
        wave.step.finish(event, now)
    else:  # INFO `unchanged`: nothing ran
        wave.step.status = event.result or wave.step.status


def _cluster_event(cluster: ClusterView, event: Event, now: float) -> None:
    if event.phase is Phase.START:
        cluster.step.start(now)
    elif event.phase is Phase.FINISH:
        cluster.step.finish(event, now)


def _release_event(releases: dict[str, Step], event: Event, now: float) -> None:
    step = releases.setdefault(event.name or "", Step())
    if event.phase is Phase.START:
        step.start(now, _DOING.get(event.detail, RUNNING), event.limit)
    elif event.phase is Phase.PROGRESS:
        step.pods, step.note = _pods(first_line(event.detail))
    elif event.phase is Phase.FINISH:
        step.finish(event, now)


def _gate_event(wave: WaveView, event: Event, now: float) -> None:
    step = wave.gates.setdefault(event.name or "", {}).setdefault(event.cluster or "", Step())
    if event.phase is Phase.START:
        step.start(now, limit=event.limit)
    elif event.phase is Phase.FINISH:
        step.finish(event, now)


def _rollback_event(wave: WaveView, event: Event, now: float, *, app: bool) -> None:
    """A rollback shows on its release's row; its cluster and wave follow the rollbacks (a
    cluster that had succeeded is rolling back, then rolled back, with its releases)."""
    cluster = wave.cluster(event.cluster or "")
    release = cluster.releases.setdefault(event.name or "", Step())
    rollback = wave.rollbacks.setdefault((cluster.name, event.name or ""), Step())
    if event.phase is Phase.START:
        rollback.start(now)
        release.start(now, ROLLING_BACK)
        for step in (wave.step, cluster.step) if app else (cluster.step,):  # no wave event in `rollback`
            if not step.running:
                step.start(now, ROLLING_BACK)
        return
    if event.phase is not Phase.FINISH:
        return
    rollback.finish(event, now)
    release.finish(event, now, _ROLLED.get(event.result or "", event.result or "done"))
    if not any(s.running for s in cluster.releases.values()):
        _ended(cluster.step, cluster.releases.values(), now, rolled=not app)
    if not wave.rolling_back:
        _after_rollbacks(wave, now, app=app)


def _ended(step: Step, parts: Iterable[Step], now: float, *, rolled: bool = False) -> None:
    """`step` ends with `parts`: failed if one failed, else succeeded (`rolled`: rolled back)."""
    if rolled:
        failed = any(s.status == "rollback-failed" for s in parts)
        step.status = "rollback-failed" if failed else "rolled-back"
    else:
        step.status = "failed" if any(_bad(s.status) for s in parts) else "succeeded"
    step.seconds = now - (step.started if step.started is not None else now)


def _after_rollbacks(wave: WaveView, now: float, *, app: bool) -> None:
    failed = any(s.status == "failed" for s in wave.rollbacks.values())
    if app:
        _ended(wave.step, wave.rollbacks.values(), now)
    elif failed:
        wave.step.status = "rollback-failed"
    elif wave.step.status != "interrupted":
        wave.step.status = "rolled-back"
