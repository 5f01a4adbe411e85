"""The rollout engine of an environment, chosen here (README, "Engines"): what the plan
reads, and the ports a sync or a rollback runs through. `helm` (push mode) reads and
changes every cluster; `argocd` reads and writes only the hub (`argocd_engine`). The
rollout engine (`envman.rollout`) does not know which one applies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from envman.application.app import Application
from envman.application.argocd_engine import ArgoEngine
from envman.application.helm_engine import HelmEngine
from envman.gates.ports import Health
from envman.plan.cluster_state import ClusterState, ReleaseHistory
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.model import Plan, ReleasePlan
from envman.rollout.ports import HelmFor, Lock, ReleaseReader, Verifications, Watcher
from envman.spec.engines import argocd_of

Desired = Mapping[str, Mapping[str, DesiredRelease]]
Arrived = Callable[[ClusterState], None]
HealthRows = dict[tuple[str, str], tuple[str, ...] | None]
"""(cluster, app) -> what is unhealthy about the release (None: not read)."""


class Engine(Protocol):
    """What differs between the engines, for the use cases."""

    stores_manifests: bool
    """Whether a live release holds its manifest (helm's storage does; an Application does
    not): the plan then compares a rendering with it, object by object."""

    def check_sources(self, desired: Desired) -> None:
        """The plan step's checks of where the engine takes charts from (`PlanError`)."""
        ...

    async def read_states(
        self, desired: Desired, *, refresh: bool, arrived: Arrived | None = None
    ) -> dict[str, ClusterState]:
        """The live state of every cluster of `desired`; `arrived` is told each cluster's
        state as soon as it is read."""
        ...

    def finish(self, plan: Plan, *, refresh: bool) -> Plan:
        """The plan with what the engine reports beyond the comparison (Argo CD's drift)."""
        ...

    async def release_ops(self) -> HelmFor:
        """The release operations of each cluster."""
        ...

    async def readers(self) -> dict[str, ReleaseReader]:
        """What runs on each cluster, read as releases (promotion's evidence)."""
        ...

    def health(self) -> Health: ...

    def lock(self, unlock_command: str | None = None) -> Lock: ...

    def verifications(self) -> Verifications: ...

    def watcher(self) -> Watcher: ...

    def break_lock(self) -> list[str]:
        """Remove the environment lock (`envman unlock`); who held it, where."""
        ...

    async def release_health(
        self, plan: Plan, states: Mapping[str, ClusterState], refresh: bool
    ) -> HealthRows:
        """What is unhealthy about every installed release of `plan` (status)."""
        ...

    async def history(self, app: str, clusters: Sequence[str]) -> list[ReleaseHistory]:
        """The revisions of `app`'s release on each of `clusters`."""
        ...

    async def diffs(
        self, releases: Sequence[ReleasePlan], rendered: Mapping[tuple[str, str], str]
    ) -> list[tuple[ReleasePlan, str]]:
        """What `diff` shows of each changing release: the release, its live manifest as the
        "before" side, and the desired manifest ("" for an uninstall); `rendered` holds the
        plan's renderings by (cluster, app)."""
        ...


def engine_for(app: Application, fleet: Fleet) -> Engine:
    """The engine the environment's `rollout.engine` names."""
    if argocd_of(fleet.env) is not None:
        return ArgoEngine(app, fleet)
    return HelmEngine(app, fleet)
