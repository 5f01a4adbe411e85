"""The Lease lock against emulated API servers, one of them behind a TCP proxy that cuts it
off: a lock left on a cluster unreachable at a run's end is taken over by the next run, which
says why; a live run's lock never is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kubernetes import client, config

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.lock import ENDED_RUNS, LeaseLock, SyncHolder
from envman.adapters.target import ClusterTarget, KubeTarget
from envman.kit.errors import KubeError, LockHeld
from envman.sandbox.testing import RunningSandbox, running_sandbox
from tests.e2e.proxy import Proxy, proxied_kubeconfig

CLUSTERS = ("alpha", "beta", "gamma")


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(list(CLUSTERS)) as running:
        yield running


@pytest.fixture
def proxy(sandbox: RunningSandbox) -> Iterator[Proxy]:
    """In front of `beta`."""
    cut = Proxy(sandbox.ports["beta"])
    yield cut
    cut.close()


@pytest.fixture
def kubeconfig(sandbox: RunningSandbox, proxy: Proxy, tmp_path: Path) -> Path:
    return proxied_kubeconfig(sandbox.kubeconfig, proxy.upstream, proxy, tmp_path / "kubeconfig")


def lock(kubeconfig: Path) -> LeaseLock:
    targets = [ClusterTarget(c, KubeTarget(kubeconfig, c)) for c in CLUSTERS]
    return LeaseLock(KubeClients(), targets, "prod")


def lease(sandbox: RunningSandbox, cluster: str) -> client.V1Lease | None:
    api = client.CoordinationV1Api(config.new_client_from_config(str(sandbox.kubeconfig), context=cluster))
    found = [
        item for item in api.list_namespaced_lease("default").items if item.metadata.name == "envman-prod"
    ]
    return found[0] if found else None


def holder(name: str) -> SyncHolder:
    return SyncHolder("ci", "runner", 7, None, name)  # the same user, host and pid: only the run differs


def ended_while_beta_was_cut(kubeconfig: Path, proxy: Proxy, name: str) -> KubeError:
    """Run `name` takes the lock, loses beta, ends: the error its release gives."""
    run = lock(kubeconfig)
    run.acquire(holder(name))
    proxy.cut()
    with pytest.raises(KubeError) as failed:
        run.release()
    return failed.value


def test_a_run_released_everywhere_leaves_no_lease(sandbox: RunningSandbox, kubeconfig: Path) -> None:
    run = lock(kubeconfig)
    assert run.acquire(holder("one")) == []
    run.release()
    assert [lease(sandbox, c) for c in CLUSTERS] == [None, None, None]


def test_a_lock_left_on_a_cluster_unreachable_at_the_end_is_taken_over_by_the_next_run(
    sandbox: RunningSandbox, kubeconfig: Path, proxy: Proxy
) -> None:
    failed = str(ended_while_beta_was_cut(kubeconfig, proxy, "ended"))
    assert "cluster 'beta'" in failed
    assert "this run's end is recorded on gamma, alpha: the next run takes its lock over" in failed
    left = lease(sandbox, "beta")
    assert left is not None and left.spec.holder_identity == holder("ended").identity()
    released = lease(sandbox, "alpha")
    assert released is not None and released.spec.holder_identity is None
    records = json.loads(released.metadata.annotations[ENDED_RUNS])
    assert [r["run"] for r in records] == [holder("ended").identity()]
    proxy.restore()

    nxt = lock(kubeconfig)
    notes = nxt.acquire(holder("next"))

    assert len(notes) == 1 and notes[0].startswith(
        "took over the lock on cluster 'beta' from ci@runner (pid 7): that run ended at "
    ), notes
    assert "(its released lock on cluster 'alpha' records it) while beta was unreachable" in notes[0]
    assert all(lease(sandbox, c).spec.holder_identity == holder("next").identity() for c in CLUSTERS)  # type: ignore[union-attr]
    nxt.release()
    assert [lease(sandbox, c) for c in CLUSTERS] == [None, None, None]


def test_the_lock_of_a_live_run_is_never_taken(
    sandbox: RunningSandbox, kubeconfig: Path, proxy: Proxy
) -> None:
    """The Leases record an ended run; the live run (the same user, host and pid, another run
    id) took its lock over: that live run's lock is held."""
    ended_while_beta_was_cut(kubeconfig, proxy, "ended")
    proxy.restore()
    live = lock(kubeconfig)
    assert len(live.acquire(holder("live"))) == 1
    second = lock(kubeconfig)
    with pytest.raises(LockHeld, match=r"environment lock held by ci@runner \(pid 7\) on cluster 'alpha'"):
        second.acquire(holder("second"))
    assert all(lease(sandbox, c).spec.holder_identity == holder("live").identity() for c in CLUSTERS)  # type: ignore[union-attr]
    live.release()


def test_a_failed_acquire_keeps_the_end_records_for_the_run_after(
    sandbox: RunningSandbox, kubeconfig: Path, proxy: Proxy
) -> None:
    """Still unreachable: the next run cannot take beta, records its own end and the first
    run's; the one after, with beta back, takes over from the first run."""
    ended_while_beta_was_cut(kubeconfig, proxy, "first")
    with pytest.raises(KubeError, match="cluster 'beta'"):
        lock(kubeconfig).acquire(holder("blocked"))
    records = json.loads(lease(sandbox, "alpha").metadata.annotations[ENDED_RUNS])  # type: ignore[union-attr]
    assert [r["run"] for r in records] == [holder("blocked").identity(), holder("first").identity()]
    proxy.restore()
    notes = lock(kubeconfig).acquire(holder("third"))
    assert len(notes) == 1 and "from ci@runner (pid 7): that run ended at" in notes[0]


def test_an_expired_lock_is_taken_over_and_said_so(sandbox: RunningSandbox, kubeconfig: Path) -> None:
    crashed = lock(kubeconfig)
    crashed.acquire(holder("crashed"))
    api = client.CoordinationV1Api(config.new_client_from_config(str(sandbox.kubeconfig), context="gamma"))
    stale = api.read_namespaced_lease("envman-prod", "default")
    stale.spec.renew_time = datetime.now(UTC) - timedelta(seconds=400)
    api.replace_namespaced_lease("envman-prod", "default", stale)
    for cluster in ("alpha", "beta"):
        other = client.CoordinationV1Api(
            config.new_client_from_config(str(sandbox.kubeconfig), context=cluster)
        )
        other.delete_namespaced_lease("envman-prod", "default")

    notes = lock(kubeconfig).acquire(holder("next"))

    assert len(notes) == 1 and notes[0].startswith(
        "took over the lock on cluster 'gamma' from ci@runner (pid 7): it expired (last renewed "
    ), notes
    assert notes[0].endswith("more than 300s ago)")


def test_unlock_removes_held_and_released_leases_and_names_only_holders(
    sandbox: RunningSandbox, kubeconfig: Path, proxy: Proxy
) -> None:
    ended_while_beta_was_cut(kubeconfig, proxy, "one")
    proxy.restore()
    assert lock(kubeconfig).break_lock() == ["beta: ci@runner (pid 7)"]
    assert [lease(sandbox, c) for c in CLUSTERS] == [None, None, None]
