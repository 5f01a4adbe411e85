"""A plan: per wave, cluster and release, the action and what changes (DESIGN.md section 5)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from envman.plan.desired import DesiredRelease
from envman.plan.live import LiveRelease
from envman.plan.waves import WaveSettings


class Action(StrEnum):
    INSTALL = "install"
    UPGRADE = "upgrade"
    UNCHANGED = "unchanged"
    UNINSTALL = "uninstall"


@dataclass(frozen=True)
class Change:
    """One difference: `version`, `status`, or a dotted value path (`secret`: value hidden)."""

    path: str
    before: Any
    after: Any
    secret: bool = False

    @property
    def kind(self) -> str:
        if self.path in ("version", "chart", "status"):
            return self.path
        return "value"


@dataclass(frozen=True)
class ReleasePlan:
    """What happens to one release: `desired` is None for an uninstall, `live` for an install."""

    cluster: str
    app: str
    release: str
    namespace: str
    action: Action
    desired: DesiredRelease | None
    live: LiveRelease | None
    changes: tuple[Change, ...] = ()

    @property
    def changed(self) -> bool:
        return self.action is not Action.UNCHANGED

    @property
    def chart(self) -> str:
        if self.desired is not None:
            return self.desired.chart.ref
        return self.live.chart_name if self.live else ""

    @property
    def version(self) -> str | None:
        if self.desired is not None:
            return self.desired.chart.version
        return self.live.chart_version if self.live else None


@dataclass(frozen=True)
class ClusterPlan:
    """A cluster's releases in dependency layers; uninstalls come last, in their own layer."""

    name: str
    region: str
    layers: tuple[tuple[ReleasePlan, ...], ...]

    @property
    def releases(self) -> tuple[ReleasePlan, ...]:
        return tuple(r for layer in self.layers for r in layer)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.releases)


@dataclass(frozen=True)
class WavePlan:
    """A wave of the plan: its settings and its clusters' plans, in rollout order."""

    settings: WaveSettings
    clusters: tuple[ClusterPlan, ...]

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.clusters)


@dataclass(frozen=True)
class Plan:
    environment: str
    waves: tuple[WavePlan, ...]

    @property
    def releases(self) -> tuple[ReleasePlan, ...]:
        return tuple(r for w in self.waves for c in w.clusters for r in c.releases)

    @property
    def changed(self) -> bool:
        return any(w.changed for w in self.waves)

    def summary(self) -> dict[str, int]:
        counts = Counter(r.action.value for r in self.releases)
        return {action.value: counts.get(action.value, 0) for action in Action}
