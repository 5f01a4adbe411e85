"""The kube driver behind the rollout engine's ports: workload health and the environment lock.

The kubernetes client is synchronous; every call here runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from envman.drivers.kube_client import ClusterTarget, KubeClients
from envman.drivers.kube_health import Workload, check_workloads, release_workloads
from envman.drivers.kube_lock import LeaseLock
from envman.plan.model import ReleasePlan
from envman.rollout.ports import HealthResult
from envman.rollout.ports import LockHolder as HolderPort


class KubeHealth:
    """`Health`: every workload of the releases' deployed revisions rolled out and available."""

    def __init__(self, clients: KubeClients, targets: Mapping[str, ClusterTarget]) -> None:
        self._clients = clients
        self._targets = targets

    async def check(self, cluster: str, releases: Sequence[ReleasePlan]) -> HealthResult:
        return await asyncio.to_thread(self._check, self._targets[cluster], releases)

    def _check(self, target: ClusterTarget, releases: Sequence[ReleasePlan]) -> HealthResult:
        workloads: list[Workload] = []
        for release in releases:
            if release.desired is not None:
                workloads.extend(release_workloads(self._clients, target, release.release, release.namespace))
        problems = [
            f"{h.workload}: {h.detail}" for h in check_workloads(self._clients, target, workloads) if not h.ok
        ]
        if problems:
            return HealthResult(False, "; ".join(problems))
        return HealthResult(True, f"{len(workloads)} workloads ready")


class KubeLock:
    """`Lock`: the Lease lock of one environment, over all of its clusters."""

    def __init__(self, clients: KubeClients, targets: Sequence[ClusterTarget], environment: str) -> None:
        self._lease = LeaseLock(clients, targets, environment)

    async def acquire(self, holder: HolderPort) -> None:
        await asyncio.to_thread(self._lease.acquire, holder)

    async def renew(self) -> None:
        await asyncio.to_thread(self._lease.renew)

    async def release(self) -> None:
        await asyncio.to_thread(self._lease.release)
