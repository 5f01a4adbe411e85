"""Progress events: what the engine tells a `Progress` sink as the rollout runs."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from envman.kit.inert import inert


class Scope(StrEnum):
    RUN = "run"
    LOCK = "lock"
    APPROVAL = "approval"
    WAVE = "wave"
    CLUSTER = "cluster"
    RELEASE = "release"
    GATE = "gate"
    ROLLBACK = "rollback"


class Phase(StrEnum):
    START = "start"
    FINISH = "finish"
    INFO = "info"
    PROGRESS = "progress"
    """A running step's state changed (a release's pods: `detail` is like `2/3 ready`)."""


@dataclass(frozen=True)
class Event:
    """One step starting, progressing or finishing. `name` is the app (release, rollback) or
    the gate; `seconds` is the elapsed time of a finished step; `limit`, on a START, is how
    long the step may take (a release's helm timeout, a bake's length); `detail` is already
    redacted. Every text of an event is inert (`kit/inert`) from its making: a pod's message,
    helm's or a gate's output reach no progress sink (log lines, GitHub Actions, the live
    view) with a control character or an escape sequence."""

    scope: Scope
    phase: Phase
    wave: str | None = None
    cluster: str | None = None
    name: str | None = None
    result: str | None = None
    detail: str = ""
    seconds: float | None = None
    limit: float | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str) and not isinstance(value, StrEnum):
                object.__setattr__(self, field.name, inert(value))

    @property
    def subject(self) -> str:
        """`wave canary`, `release prod-use1/api`, `gate http prod-use1`... for log lines."""
        if self.scope in (Scope.RUN, Scope.LOCK):
            return self.scope.value
        if self.scope in (Scope.WAVE, Scope.APPROVAL):
            return f"{self.scope.value} {self.wave}"
        if self.scope is Scope.CLUSTER:
            return f"cluster {self.cluster}"
        if self.scope is Scope.GATE:
            where = f" {self.cluster}" if self.cluster else ""
            return f"gate {self.name}{where} (wave {self.wave})"
        return f"{self.scope.value} {self.cluster}/{self.name}"


class NullProgress:
    """Shows nothing."""

    def event(self, event: Event) -> None:
        """Ignore `event`."""
