"""The kube driver behind the rollout engine's ports: workload health and the environment lock.

The kubernetes client is synchronous; every call here runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.health import Workload, check_workloads, release_workloads
from envman.adapters.kube.lock import LeaseLock
from envman.adapters.target import ClusterTarget
from envman.gates.ports import Deployed, HealthResult
from envman.rollout.ports import LockHolder


class KubeHealth:
    """`Health`: every workload of the releases' deployed revisions rolled out and available."""

    def __init__(self, clients: KubeClients, targets: Mapping[str, ClusterTarget]) -> None:
        self._clients = clients
        self._targets = targets

    async def check(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        return await asyncio.to_thread(self._check, self._targets[cluster], releases)

    def _check(self, target: ClusterTarget, releases: Sequence[Deployed]) -> HealthResult:
        workloads: list[Workload] = []
        for release in releases:
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

    async def acquire(self, holder: LockHolder) -> None:
        await asyncio.to_thread(self._lease.acquire, holder)

    async def renew(self) -> None:
        await asyncio.to_thread(self._lease.renew)

    async def release(self) -> None:
        await asyncio.to_thread(self._lease.release)
