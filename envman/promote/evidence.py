"""Evidence for a promotion: what the source environment's clusters actually run.

Gathered through the small `EvidenceSource` Protocol: the releases of a cluster, the values
of one release, and an optional `health` hook (None until a workload-health driver exists:
the evidence then says "not checked"). `HelmEvidence` implements it over the `ReleaseReader`
Protocol. A cluster that cannot be reached gives a line in the evidence, never a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from envman.kit.errors import EnvmanError
from envman.plan.values import is_enabled
from envman.promote.promotion import VERSION, Promotion, show
from envman.rollout.ports import ReleaseReader, ReleaseRevision
from envman.spec.environment import Environment
from envman.spec.merge import get_path

CLUSTER_TIMEOUT = 30.0
"""Seconds one cluster may take to answer before its evidence is given up."""

HealthHook = Callable[[str, ReleaseRevision], Awaitable[str]]
"""(cluster, release) -> a short health summary such as `healthy` or `2/3 pods ready`."""


class EvidenceSource(Protocol):
    """What evidence gathering needs from the source clusters."""

    health: HealthHook | None

    async def releases(self, cluster: str) -> Sequence[ReleaseRevision]:
        """The latest revision of every release on `cluster`."""
        ...

    async def values(self, cluster: str, release: ReleaseRevision) -> Mapping[str, Any]:
        """The user-supplied values of that revision."""
        ...


@dataclass(frozen=True)
class ReleaseEvidence:
    app: str
    revision: ReleaseRevision
    health: str | None


@dataclass
class ClusterEvidence:
    """One source cluster: its releases of the promoted apps, or why it gave none."""

    cluster: str
    releases: list[ReleaseEvidence] = field(default_factory=list)
    unavailable: str | None = None


@dataclass
class Evidence:
    clusters: list[ClusterEvidence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def unavailable(cls, env: Environment, reason: str) -> Evidence:
        return cls([ClusterEvidence(name, unavailable=reason) for name in env.clusters])


class HelmEvidence:
    """`EvidenceSource` over one `ReleaseReader` driver per source cluster."""

    def __init__(self, helm: Mapping[str, ReleaseReader], health: HealthHook | None = None) -> None:
        self._helm = helm
        self.health = health

    async def releases(self, cluster: str) -> Sequence[ReleaseRevision]:
        return await self._helm[cluster].list_releases()

    async def values(self, cluster: str, release: ReleaseRevision) -> Mapping[str, Any]:
        return await self._helm[cluster].get_values(release.name, release.namespace, release.revision)


async def gather(
    src: Environment, promotion: Promotion, source: EvidenceSource, timeout: float = CLUSTER_TIMEOUT
) -> Evidence:
    """Evidence from every source cluster of the apps that change, concurrently."""
    apps = sorted({change.app for change in promotion.changes})
    evidence = Evidence()
    results = await asyncio.gather(
        *(_cluster(src, name, apps, promotion, source, timeout) for name in src.clusters)
    )
    for cluster, warnings in results:
        evidence.clusters.append(cluster)
        evidence.warnings.extend(warnings)
    return evidence


async def _cluster(
    src: Environment,
    name: str,
    apps: Sequence[str],
    promotion: Promotion,
    source: EvidenceSource,
    timeout: float,
) -> tuple[ClusterEvidence, list[str]]:
    cluster = ClusterEvidence(name)
    warnings: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            live = {(r.namespace, r.name): r for r in await source.releases(name)}
            for app in (a for a in apps if is_enabled(src, a, name)):
                revision = live.get((src.apps[app].namespace, src.release_name(app)))
                if revision is None:
                    warnings.append(f"{name}: {app} is not deployed")
                    continue
                health = await source.health(name, revision) if source.health else None
                cluster.releases.append(ReleaseEvidence(app, revision, health))
                warnings.extend(await _mismatches(src, name, app, revision, promotion, source))
    except TimeoutError:
        cluster.unavailable = f"no answer within {timeout:g}s"
    except EnvmanError as exc:
        cluster.unavailable = str(exc)
    return cluster, warnings


async def _mismatches(
    src: Environment,
    cluster: str,
    app: str,
    revision: ReleaseRevision,
    promotion: Promotion,
    source: EvidenceSource,
) -> list[str]:
    """Where the release does not run what is being promoted."""
    found: list[str] = []
    if revision.status != "deployed":
        found.append(f"{cluster}: {app} is {revision.status} (revision {revision.revision})")
    promoted = promotion.promoted[app]
    version = promoted.get(VERSION) or src.chart_versions.get(src.apps[app].chart)
    if version is not None and revision.chart_version != version:
        found.append(f"{cluster}: {app} runs chart {revision.chart_version}, not the promoted {version}")
    paths = [p for p in promoted if p != VERSION]
    values = await source.values(cluster, revision) if paths else {}
    for path in paths:
        present, live = get_path(values, path)
        if not present or live != promoted[path]:
            shown = show(live) if present else "nothing"
            found.append(f"{cluster}: {app} runs {path} {shown}, not the promoted {show(promoted[path])}")
    return found
