"""A plan: per wave, cluster and release, the action and what changes (README, What the plan compares)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from envman.plan.cluster_state import LiveRelease
from envman.plan.desired import DesiredRelease
from envman.plan.drift import ObjectDrift
from envman.plan.waves import WaveSettings

CHART_CONTENT = "chart content"
"""The path of a change of a local chart's files (its content digest, or its rendering)."""


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
        if self.path in ("version", "chart", "status", CHART_CONTENT):
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
    drift: tuple[ObjectDrift, ...] = ()
    """Objects of the stored manifest missing or modified live (an upgrade repairs them)."""
    notes: tuple[str, ...] = ()
    """What could not be compared (`secret not compared: db.password`)."""
    digest: str | None = None
    """The digest of the desired state, as the verification record keeps it."""
    verified_revision: int | None = None
    """The newest revision whose desired state the wave's verification record verified (None:
    none known): where a failed verification of the wave puts the release back."""

    @property
    def changed(self) -> bool:
        return self.action is not Action.UNCHANGED

    @property
    def chart(self) -> str:
        """The chart as written in the spec (the live chart's name for an uninstall)."""
        if self.desired is not None:
            return self.desired.chart_spec or self.desired.chart.ref
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
    """A wave of the plan: its settings and its clusters' plans, in rollout order, and which
    releases the verification record does not show as verified for their desired state."""

    settings: WaveSettings
    clusters: tuple[ClusterPlan, ...]
    unverified: frozenset[tuple[str, str]] = frozenset()
    """(cluster, app) of each release whose desired state this wave's gates never passed."""

    @property
    def verified(self) -> bool:
        return not self.unverified

    @property
    def needs_verify(self) -> bool:
        """Nothing to change, but its gates never passed for this state: they run again."""
        return not self.changed and not self.verified

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

    @property
    def pending(self) -> bool:
        """Anything for `sync` to do: a change, or a wave to verify."""
        return self.changed or any(w.needs_verify for w in self.waves)

    def summary(self) -> dict[str, int]:
        counts = Counter(r.action.value for r in self.releases)
        summary = {action.value: counts.get(action.value, 0) for action in Action}
        summary["drift"] = sum(1 for r in self.releases if r.drift)
        summary["verify"] = sum(1 for w in self.waves if w.needs_verify)
        return summary


def with_releases(plan: Plan, update: Callable[[ReleasePlan], ReleasePlan]) -> Plan:
    """`plan` with every release passed through `update`."""
    waves = tuple(
        replace(
            wave,
            clusters=tuple(
                replace(c, layers=tuple(tuple(update(r) for r in layer) for layer in c.layers))
                for c in wave.clusters
            ),
        )
        for wave in plan.waves
    )
    return replace(plan, waves=waves)
