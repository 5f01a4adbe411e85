"""The kube adapter behind the rollout engine's ports: workload health, the environment lock
and the verification record.

The kubernetes client is synchronous; every call here runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.health import health_problems, release_workloads
from envman.adapters.kube.lock import LOCK_NAMESPACE, LeaseLock
from envman.adapters.kube.objects import ClusterApi
from envman.adapters.kube.state import RecordSite, write_verification
from envman.adapters.target import ClusterTarget
from envman.gates.ports import Deployed, HealthResult
from envman.plan.cluster_state import WaveVerification
from envman.rollout.ports import LockHolder


class KubeHealth:
    """`Health`: every workload of the releases' deployed revisions rolled out and available."""

    def __init__(self, clients: KubeClients, targets: Mapping[str, ClusterTarget]) -> None:
        self._clients = clients
        self._targets = targets

    async def check(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        return await asyncio.to_thread(self._check, self._targets[cluster], releases)

    def _check(self, target: ClusterTarget, releases: Sequence[Deployed]) -> HealthResult:
        refs = [
            ref
            for release in releases
            for ref in release_workloads(self._clients, target, release.release, release.namespace)
        ]
        problems = health_problems(ClusterApi(self._clients, target), refs)
        if problems:
            return HealthResult(False, "; ".join(problems))
        return HealthResult(True, f"{len(refs)} workloads ready")


class KubeLock:
    """`Lock`: the Lease lock of one environment, over all of its clusters."""

    def __init__(
        self,
        clients: KubeClients,
        targets: Sequence[ClusterTarget],
        environment: str,
        unlock_command: str | None = None,
        namespace: str = LOCK_NAMESPACE,
    ) -> None:
        self._lease = LeaseLock(clients, targets, environment, unlock_command, namespace)

    async def acquire(self, holder: LockHolder) -> list[str]:
        return await asyncio.to_thread(self._lease.acquire, holder)

    async def renew(self) -> None:
        await asyncio.to_thread(self._lease.renew)

    async def release(self) -> None:
        await asyncio.to_thread(self._lease.release)


class KubeVerifications:
    """`Verifications`: each cluster's record where `sites` keep it (push mode: the
    ConfigMap `envman-verified-<env>` in the cluster itself; argocd: one per cluster on the hub)."""

    def __init__(self, clients: KubeClients, sites: Mapping[str, RecordSite]) -> None:
        self._clients = clients
        self._sites = sites

    async def record(self, cluster: str, wave: str, releases: Mapping[str, str], at: str) -> None:
        record = WaveVerification(wave, at, dict(releases))
        await asyncio.to_thread(write_verification, self._clients, self._sites[cluster], record)
