"""`ArgoReleaseOps` on an in-memory hub: apply, start a sync as `argocd app sync` does, wait
for it, fail with Argo CD's message, roll back to a recorded spec, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from envman.adapters.argocd.release_ops import ArgoReleaseOps, ArgoSyncError
from envman.plan.argocd.revisions import synced_specs
from envman.plan.cluster_state import COMMIT_LABEL, DIGEST_LABEL, managed_labels
from envman.plan.desired import DesiredRelease
from tests.adapters.argocd.fake_hub import DEGRADED, FAILED, STUCK, FakeHub, fleet_destinations
from tests.plan.argocd.fixtures import GIT, HUB, argo_fleet, desired
from tests.rollout.fakes import FakeClock

NAME = "prod-use1-api"


class Setup:
    def __init__(self, root: Path) -> None:
        self.fleet = argo_fleet(root)
        self.hub = FakeHub()
        self.clock = FakeClock()
        self.ops = ArgoReleaseOps(self.hub, fleet_destinations(self.fleet, HUB, GIT)["use1"], self.clock)
        self.api: DesiredRelease = desired(self.fleet)["use1"]["api"]

    def run(self, work: Any) -> Any:
        return asyncio.run(self.clock.run(work))

    def upgrade(self, values: dict[str, Any] | None = None, commit: str = "c1", timeout: float = 60.0) -> Any:
        labels = {**managed_labels("prod", "api"), COMMIT_LABEL: commit, DIGEST_LABEL: "d" * 64}
        return self.run(
            self.ops.upgrade_install(
                "api", "api", self.api.chart, values or self.api.values, timeout=timeout, labels=labels
            )
        )


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_an_install_applies_the_application_and_syncs_it_as_envman(setup: Setup) -> None:
    revision = setup.upgrade()
    assert (revision.name, revision.namespace, revision.revision, revision.status) == (
        "api",
        "api",
        1,
        "deployed",
    )
    (applied,) = setup.hub.applied
    assert applied["metadata"]["name"] == NAME
    assert applied["spec"]["source"]["targetRevision"] == GIT.commit
    assert applied["metadata"]["annotations"][COMMIT_LABEL] == "c1"
    ((name, operation),) = setup.hub.operations
    assert name == NAME
    assert operation == {
        "initiatedBy": {"username": "envman"},
        "sync": {
            "revision": GIT.commit,
            "prune": True,
            "syncOptions": ["CreateNamespace=true", "ServerSideApply=true", "RespectIgnoreDifferences=true"],
        },
    }
    (record,) = synced_specs(setup.hub.objects[NAME])
    assert (record.id, record.annotations[COMMIT_LABEL]) == (0, "c1")
    assert record.source["helm"]["valuesObject"] == setup.api.values


def test_a_degraded_application_fails_the_release_with_argo_cds_message(setup: Setup) -> None:
    setup.hub.outcomes[NAME] = DEGRADED
    with pytest.raises(ArgoSyncError) as caught:
        setup.upgrade()
    assert str(caught.value) == (
        'prod-use1-api: Degraded: pod failed; Deployment api/x: Degraded: Back-off pulling image "bad"'
    )
    assert synced_specs(setup.hub.objects[NAME]) == []  # not recorded as a good spec


def test_after_a_degraded_release_degraded_is_waited_out(setup: Setup) -> None:
    """Degraded before the sync (a rollback replacing failed pods): Healthy is waited for."""
    setup.upgrade()
    setup.hub.outcomes[NAME] = DEGRADED
    with pytest.raises(ArgoSyncError):
        setup.upgrade({**setup.api.values, "replicaCount": 9})
    with pytest.raises(
        ArgoSyncError, match=r"timed out after 20s waiting for Synced and Healthy .*Degraded\)"
    ):
        setup.run(setup.ops.rollback("api", "api", 1, timeout=20))
    setup.hub.outcomes[NAME] = "ok"
    assert setup.run(setup.ops.rollback("api", "api", 1, timeout=20)).status == "deployed"


def test_a_failed_operation_fails_the_release(setup: Setup) -> None:
    setup.hub.outcomes[NAME] = FAILED
    with pytest.raises(ArgoSyncError, match="sync failed: one or more objects failed to apply, reason: boom"):
        setup.upgrade()


def test_a_sync_that_never_finishes_times_out_at_the_releases_timeout(setup: Setup) -> None:
    setup.hub.outcomes[NAME] = STUCK
    with pytest.raises(
        ArgoSyncError, match=r"timed out after 30s waiting for Synced and Healthy \(operation requested"
    ):
        setup.upgrade(timeout=30)
    assert 30 <= setup.clock.now() <= 33


def test_a_running_sync_is_waited_for_before_a_new_one(setup: Setup) -> None:
    setup.upgrade()
    setup.hub.objects[NAME]["operation"] = {"sync": {"revision": "old"}}  # a crashed run's sync
    setup.hub.outcomes[NAME] = STUCK
    with pytest.raises(ArgoSyncError, match="timed out waiting for its running sync"):
        setup.upgrade(timeout=10)
    assert len(setup.hub.applied) == 1  # nothing applied over a running sync


def test_rollback_reapplies_the_recorded_spec_and_syncs_it(setup: Setup) -> None:
    setup.upgrade(commit="c1")
    setup.upgrade({**setup.api.values, "replicaCount": 9}, commit="c2")
    back = setup.run(setup.ops.rollback("api", "api", 1, timeout=60))
    assert back.revision == 3
    live = setup.hub.objects[NAME]
    assert live["spec"]["source"]["helm"]["valuesObject"]["replicaCount"] == 3
    assert live["metadata"]["annotations"][COMMIT_LABEL] == "c1"
    assert [s.id for s in synced_specs(live)] == [0, 1, 2]
    history = setup.run(setup.ops.history("api", "api"))
    assert [(r.revision, r.status, r.labels.get(COMMIT_LABEL)) for r in history] == [
        (1, "superseded", "c1"),
        (2, "superseded", "c2"),
        (3, "deployed", "c1"),
    ]


def test_rollback_to_a_revision_argo_cd_does_not_hold_fails_naming_those_it_holds(setup: Setup) -> None:
    setup.upgrade()
    with pytest.raises(ArgoSyncError, match=r"no revision 4 to roll back to \(Argo CD holds 1\)"):
        setup.run(setup.ops.rollback("api", "api", 4, timeout=60))


def test_uninstall_deletes_the_application_and_an_absent_one_is_fine(setup: Setup) -> None:
    setup.upgrade()
    setup.run(setup.ops.uninstall("api", "api", timeout=60))
    assert NAME not in setup.hub.objects
    setup.run(setup.ops.uninstall("api", "api", timeout=60))
    assert ("delete", NAME) in setup.hub.calls


def test_helm_test_needs_the_helm_engine(setup: Setup) -> None:
    with pytest.raises(ArgoSyncError, match="helm test needs the helm engine"):
        setup.run(setup.ops.test("api", "api", timeout=60))


def test_releases_read_as_promotion_reads_them(setup: Setup) -> None:
    setup.upgrade(commit="c1")
    setup.upgrade({**setup.api.values, "replicaCount": 9}, commit="c2")
    (listed,) = setup.run(setup.ops.list_releases())
    assert (listed.name, listed.namespace, listed.revision, listed.status) == ("api", "api", 2, "deployed")
    assert (listed.chart, listed.chart_version) == ("app", "1.0.0")
    assert setup.run(setup.ops.get_values("api", "api"))["replicaCount"] == 9
    assert setup.run(setup.ops.get_values("api", "api", 1))["replicaCount"] == 3
    status = setup.run(setup.ops.status("api", "api"))
    assert status is not None and status.labels[COMMIT_LABEL] == "c2"
    assert setup.run(setup.ops.status("web", "web")) is None
