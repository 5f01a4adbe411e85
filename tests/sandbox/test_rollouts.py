"""Rollouts as a real cluster runs them: the old ReplicaSet reused on rollback, never more
old pods removed than `maxUnavailable` allows, and a rollback under `fail` that succeeds."""

from __future__ import annotations

from envman.sandbox.testing import RunningSandbox
from tests.sandbox.conftest import ChartPath, Helm, deploy


def _replicasets(sandbox: RunningSandbox) -> dict[str, int]:
    api = sandbox.sandbox.clusters["alpha"].api
    return {
        rs["metadata"]["name"]: int(rs["spec"]["replicas"])
        for rs in api.store.items("apps/replicasets", "apps")
    }


def test_rollback_of_a_chart_rendering_nulls_reuses_the_old_replicaset(
    helm: Helm, chart: ChartPath, sandbox: RunningSandbox
) -> None:
    deploy(helm, "r", chart("rolling"))
    (first,) = _replicasets(sandbox)
    deploy(helm, "r", chart("rolling"), "--set", "image.tag=6.7.1")
    helm.run("rollback", "r", "1", "-n", "apps", "--wait", "--timeout", "30s")
    sets = _replicasets(sandbox)
    assert len(sets) == 2 and sets[first] == 3, sets
