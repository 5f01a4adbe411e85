"""The environment lock: a `coordination.k8s.io` Lease in every cluster of the environment
(with the argocd engine: on the hub only, in its Argo CD namespace).

A run takes the Lease `envman-<env>` (namespace `default`) in each cluster, in name order,
and renews it while it runs. If another live run holds any of the Leases, the ones this run
took are given back and `LockHeld` names that holder.

At its end a run releases each Lease by emptying its holder and recording its own end on it
(the annotation `envman.io/ended-runs`: the last runs that ended there, newest first); when
every cluster was reached those released Leases are then deleted. When a cluster cannot be
reached, its Lease stays held by the ended run, and the released Leases of the other
clusters say that run ended: the next run that finds such a Lease takes it over and says so.
A Lease whose renew time is older than its duration (a crashed run's) is taken over too. A
live run has recorded no end and renews its Leases, so its lock is never taken.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import uuid
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
ENDED_RUNS = "envman.io/ended-runs"
"""Annotation of a released Lease: `[{"run": identity, "at": time}, ...]`, newest first."""
KEEP_ENDED = 20

_CI_JOB_VARS = ("GITHUB_RUN_ID", "CI_JOB_URL", "CI_JOB_ID", "BUILD_URL", "BUILD_ID")


@dataclass(frozen=True)
class SyncHolder:
    """Who holds the lock, as shown to a run that finds it taken."""

    user: str
    host: str
    pid: int
    ci_job: str | None = None
    run: str = ""
    """Random per run: two runs never share an identity (a container's pid repeats)."""

    @classmethod
    def current(cls, environ: Mapping[str, str] = os.environ) -> SyncHolder:
        job = next((environ[v] for v in _CI_JOB_VARS if environ.get(v)), None)
        return cls(getpass.getuser(), socket.gethostname(), os.getpid(), job, uuid.uuid4().hex[:12])

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
        self._ended: dict[str, tuple[str, str]] | None = None

    def acquire(self, holder: LockHolder) -> list[str]:
        """Take the Lease on every cluster; the Leases taken over from ended or expired runs,
        and why, for the run to say."""
        self._holder, self._ended = holder, None
        notes: list[str] = []
        try:
            for cluster in self._clusters:
                self._take(cluster, holder, notes)
                self._taken.append(cluster)
        except (LockHeld, KubeError):
            with contextlib.suppress(KubeError):
                self.release()
            raise
        return notes

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
        """Release on every cluster taken (the holder emptied, this run's end recorded), the
        unreachable ones named after trying all. When every cluster was reached, the released
        Leases are deleted, except, after a partial acquire, one that records other runs'
        ends (a later run may need them)."""
        failures: list[KubeError] = []
        released: list[tuple[ClusterTarget, str, bool]] = []
        everywhere = len(self._taken) == len(self._clusters)
        for cluster in reversed(self._taken):
            try:
                done = self._end(cluster)
            except KubeError as exc:
                failures.append(exc)
            else:
                if done is not None:
                    released.append((cluster, *done))
        self._taken.clear()
        if failures:
            where = ", ".join(c.name for c, _, _ in released)
            recorded = (
                f"; this run's end is recorded on {where}: the next run takes its lock over" if where else ""
            )
            raise KubeError("; ".join(str(f) for f in failures) + recorded)
        for cluster, version, others in released:
            if everywhere or not others:
                with contextlib.suppress(KubeError):  # taken by the next run meanwhile: theirs
                    self._delete(cluster, version)

    def break_lock(self) -> list[str]:
        """Delete the Lease wherever it exists (`envman unlock`); the holders found."""
        holders = []
        for cluster in self._clusters:
            lease = self._read(cluster)
            if lease is not None:
                if lease.spec.holder_identity:
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

    def _end(self, cluster: ClusterTarget) -> tuple[str, bool] | None:
        """Release this run's Lease on `cluster`, recording the run's end on it: the released
        Lease's version and whether it records other runs too; None when the Lease is not
        this run's (any more)."""
        lease = self._read(cluster)
        mine = self._holder.identity() if self._holder else None
        if lease is None or mine is None or lease.spec.holder_identity != mine:
            return None
        earlier = _ended_records(lease)
        ended = [{"run": mine, "at": _now().isoformat(timespec="seconds")}, *earlier]
        lease.spec.holder_identity = None
        lease.metadata.annotations = {
            **(lease.metadata.annotations or {}),
            ENDED_RUNS: json.dumps(ended[:KEEP_ENDED]),
        }
        api = self._api(cluster)
        done = call(
            cluster,
            "release the lock",
            lambda: api.replace_namespaced_lease(self._name, self._namespace, lease),
        )
        return str(done.metadata.resource_version if done.metadata else ""), bool(earlier)

    def _delete(self, cluster: ClusterTarget, version: str | None = None) -> None:
        """Delete the Lease (only at `version`, when given)."""
        api = self._api(cluster)
        preconditions = client.V1Preconditions(resource_version=version) if version else None
        try:
            call(
                cluster,
                "delete the lock",
                lambda: api.delete_namespaced_lease(
                    self._name,
                    self._namespace,
                    body=client.V1DeleteOptions(preconditions=preconditions),
                    _request_timeout=REQUEST_TIMEOUT,
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

    def _take(self, cluster: ClusterTarget, holder: LockHolder, notes: list[str]) -> None:
        """Create the Lease, or take over a released one, an expired one or an ended run's;
        `LockHeld` when a live run holds it."""
        api = self._api(cluster)
        meta = client.V1ObjectMeta(name=self._name, namespace=self._namespace)
        body = client.V1Lease(
            metadata=meta,
            spec=client.V1LeaseSpec(
                holder_identity=holder.identity(),
                lease_duration_seconds=LEASE_SECONDS,
                acquire_time=_now(),
                renew_time=_now(),
            ),
        )
        for _ in range(2):  # a Lease deleted between the create and the read: create again
            try:
                call(cluster, "take the lock", lambda: api.create_namespaced_lease(self._namespace, body))
                return
            except KubeError as exc:
                if not isinstance(exc.__cause__, ApiException) or exc.__cause__.status != 409:
                    raise
            existing = self._read(cluster)
            if existing is not None:
                break
        else:
            raise LockHeld(f"environment lock on {cluster.describe()} keeps changing; try again")
        why = self._stale(cluster, existing)
        if why is None:
            other = _holder_from(existing.spec.holder_identity)
            raise LockHeld(
                f"environment lock held by {other} on {cluster.describe()}"
                f" since {existing.spec.acquire_time}; if that run crashed, wait for the lock to expire"
                f" ({LEASE_SECONDS}s after its last renewal) or run `{self._unlock}`"
            )
        meta.resource_version = existing.metadata.resource_version
        if existing.metadata.annotations and ENDED_RUNS in existing.metadata.annotations:
            meta.annotations = {ENDED_RUNS: existing.metadata.annotations[ENDED_RUNS]}
        call(
            cluster,
            "take over the lock",
            lambda: api.replace_namespaced_lease(self._name, self._namespace, body),
        )
        if why:
            notes.append(why)

    def _stale(self, cluster: ClusterTarget, lease: Any) -> str | None:
        """Why `lease` may be taken ("" for a released one), None while its run is alive."""
        identity = lease.spec.holder_identity
        if not identity:
            return ""
        who = _holder_from(identity)
        if _expired(lease):
            renewed = lease.spec.renew_time or lease.spec.acquire_time
            seconds = lease.spec.lease_duration_seconds or LEASE_SECONDS
            return (
                f"took over the lock on cluster {cluster.name!r} from {who}: it expired "
                f"(last renewed {renewed}, more than {seconds}s ago)"
            )
        ended = self._ended_runs().get(identity)
        if ended is None:
            return None
        where, at = ended
        return (
            f"took over the lock on cluster {cluster.name!r} from {who}: that run ended at {at} "
            f"(its released lock on cluster {where!r} records it) while {cluster.name} was unreachable"
        )

    def _ended_runs(self) -> dict[str, tuple[str, str]]:
        """Every run whose end a reachable cluster's Lease records: identity -> (cluster, time)."""
        if self._ended is None:
            self._ended = {}
            for cluster in self._clusters:
                try:
                    lease = self._read(cluster)
                except KubeError:
                    continue
                for record in _ended_records(lease) if lease is not None else ():
                    self._ended.setdefault(record["run"], (cluster.name, record["at"]))
        return self._ended


def _ended_records(lease: Any) -> list[dict[str, str]]:
    """The runs that ended with `lease` released, newest first (none when unreadable)."""
    text = (lease.metadata.annotations or {}).get(ENDED_RUNS) if lease.metadata else None
    try:
        records = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(records, list):
        return []
    return [
        {"run": str(r["run"]), "at": str(r.get("at", ""))}
        for r in records
        if isinstance(r, dict) and isinstance(r.get("run"), str)
    ]


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
