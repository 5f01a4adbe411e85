"""The environment lock: a `coordination.k8s.io` Lease in every cluster of the environment
(with the argocd engine: on the hub only, in its Argo CD namespace).

A run takes the Lease `envman-<env>` (namespace `default`) in each cluster, in name order,
renews it while it runs, and deletes it at the end. A Lease whose renew time is older than
its duration belongs to a crashed run and is taken over. If another holder has any of the
Leases, the ones this run took are given back and `LockHeld` names that holder.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from envman.adapters.kube.client import REQUEST_TIMEOUT, KubeClients, call
from envman.adapters.target import ClusterTarget
from envman.kit.errors import KubeError, LockHeld
from envman.rollout.ports import LockHolder

LOCK_NAMESPACE = "default"
LEASE_SECONDS = 300
"""A crashed run's lock expires this long after its last renewal."""

_CI_JOB_VARS = ("GITHUB_RUN_ID", "CI_JOB_URL", "CI_JOB_ID", "BUILD_URL", "BUILD_ID")


@dataclass(frozen=True)
class SyncHolder:
    """Who holds the lock, as shown to a run that finds it taken."""

    user: str
    host: str
    pid: int
    ci_job: str | None = None

    @classmethod
    def current(cls, environ: Mapping[str, str] = os.environ) -> SyncHolder:
        job = next((environ[v] for v in _CI_JOB_VARS if environ.get(v)), None)
        return cls(getpass.getuser(), socket.gethostname(), os.getpid(), job)

    def identity(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def __str__(self) -> str:
        job = f", CI job {self.ci_job}" if self.ci_job else ""
        return f"{self.user}@{self.host} (pid {self.pid}{job})"


def lease_name(environment: str) -> str:
    return f"envman-{environment}"


def _holder_from(identity: str | None) -> str:
    try:
        return str(SyncHolder(**json.loads(identity or "")))
    except (ValueError, TypeError):
        return identity or "an unknown holder"


class LeaseLock:
    """The lock of one environment over its clusters (blocking calls: run them in a thread)."""

    def __init__(
        self,
        clients: KubeClients,
        clusters: Sequence[ClusterTarget],
        environment: str,
        unlock_command: str | None = None,
        namespace: str = LOCK_NAMESPACE,
    ) -> None:
        self._clients = clients
        self._namespace = namespace
        self._clusters = sorted(clusters, key=lambda c: c.name)
        self._name = lease_name(environment)
        self._unlock = unlock_command or f"envman unlock {environment}"
        self._holder: LockHolder | None = None
        self._taken: list[ClusterTarget] = []

    def acquire(self, holder: LockHolder) -> None:
        self._holder = holder
        try:
            for cluster in self._clusters:
                self._take(cluster, holder)
                self._taken.append(cluster)
        except (LockHeld, KubeError):
            self.release()
            raise

    def renew(self) -> None:
        """Renew on every cluster; a lost lock wins over an unreachable cluster."""
        failures: list[KubeError] = []
        for cluster in self._taken:
            try:
                self._renew(cluster)
            except KubeError as exc:
                failures.append(exc)
        if failures:
            raise KubeError("; ".join(str(f) for f in failures))

    def release(self) -> None:
        """Release on every cluster, the unreachable ones named after trying all."""
        failures: list[KubeError] = []
        for cluster in reversed(self._taken):
            try:
                self._delete(cluster)
            except KubeError as exc:
                failures.append(exc)
        self._taken.clear()
        if failures:
            raise KubeError("; ".join(str(f) for f in failures))

    def break_lock(self) -> list[str]:
        """Delete the Lease wherever it exists (`envman unlock`); the holders found."""
        holders = []
        for cluster in self._clusters:
            lease = self._read(cluster)
            if lease is not None:
                holders.append(f"{cluster.name}: {_holder_from(lease.spec.holder_identity)}")
                self._delete(cluster)
        return holders

    def _renew(self, cluster: ClusterTarget) -> None:
        lease = self._read(cluster)
        mine = self._holder.identity() if self._holder else None
        if lease is None or lease.spec.holder_identity != mine:
            holder = _holder_from(lease.spec.holder_identity) if lease is not None else "nobody"
            raise LockHeld(f"environment lock lost on {cluster.describe()}: now held by {holder}")
        lease.spec.renew_time = _now()
        api = self._api(cluster)
        call(
            cluster,
            "renew the lock",
            lambda: api.replace_namespaced_lease(self._name, self._namespace, lease),
        )

    def _delete(self, cluster: ClusterTarget) -> None:
        api = self._api(cluster)
        try:
            call(
                cluster,
                "delete the lock",
                lambda: api.delete_namespaced_lease(
                    self._name, self._namespace, _request_timeout=REQUEST_TIMEOUT
                ),
            )
        except KubeError as exc:
            if not _not_found(exc):
                raise

    def _api(self, cluster: ClusterTarget) -> client.CoordinationV1Api:
        return client.CoordinationV1Api(self._clients.api(cluster))

    def _read(self, cluster: ClusterTarget) -> Any:
        api = self._api(cluster)
        try:
            return call(
                cluster,
                "read the lock",
                lambda: api.read_namespaced_lease(
                    self._name, self._namespace, _request_timeout=REQUEST_TIMEOUT
                ),
            )
        except KubeError as exc:
            if _not_found(exc):
                return None
            raise

    def _take(self, cluster: ClusterTarget, holder: LockHolder) -> None:
        api = self._api(cluster)
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(name=self._name, namespace=self._namespace),
            spec=client.V1LeaseSpec(
                holder_identity=holder.identity(),
                lease_duration_seconds=LEASE_SECONDS,
                acquire_time=_now(),
                renew_time=_now(),
            ),
        )
        try:
            call(cluster, "take the lock", lambda: api.create_namespaced_lease(self._namespace, body))
            return
        except KubeError as exc:
            if not isinstance(exc.__cause__, ApiException) or exc.__cause__.status != 409:
                raise
        existing = self._read(cluster)
        if existing is not None and not _expired(existing):
            other = _holder_from(existing.spec.holder_identity)
            raise LockHeld(
                f"environment lock held by {other} on {cluster.describe()}"
                f" since {existing.spec.acquire_time}; if that run crashed, wait for the lock to expire"
                f" ({LEASE_SECONDS}s after its last renewal) or run `{self._unlock}`"
            )
        if existing is not None and existing.metadata is not None and body.metadata is not None:
            body.metadata.resource_version = existing.metadata.resource_version
            call(
                cluster,
                "take over an expired lock",
                lambda: api.replace_namespaced_lease(self._name, self._namespace, body),
            )


def _not_found(exc: KubeError) -> bool:
    return isinstance(exc.__cause__, ApiException) and exc.__cause__.status == 404


def _now() -> datetime:
    return datetime.now(UTC)


def _expired(lease: Any) -> bool:
    renewed = lease.spec.renew_time or lease.spec.acquire_time
    if renewed is None:
        return True
    duration = timedelta(seconds=lease.spec.lease_duration_seconds or LEASE_SECONDS)
    return bool(renewed + duration < _now())
