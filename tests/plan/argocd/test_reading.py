"""What envman reads back from an Application: the live release, drift, health, history and
the specs it synced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envman.plan.argocd.applications import REVISIONS_ANNOTATION
from envman.plan.argocd.reading import health_problems, history, live_release, reported_drift
from envman.plan.argocd.revisions import SyncedSpec, with_synced
from envman.plan.cluster_state import APP_LABEL, COMMIT_LABEL, ENV_LABEL, MANAGED_BY
from envman.plan.drift import MISSING, MODIFIED
from envman.plan.manifests import ObjectRef
from tests.plan.argocd.fixtures import COMMIT, argo_fleet, built, desired, synced


def api_app(tmp_path: Path) -> dict[str, Any]:
    fleet = argo_fleet(tmp_path)
    return built(fleet, desired(fleet)["use1"]["api"])


def test_a_synced_application_is_a_deployed_release(tmp_path: Path) -> None:
    live = live_release(synced(api_app(tmp_path), ids=2))
    assert (live.name, live.namespace, live.status) == ("api", "api", "deployed")
    assert (live.revision, live.deployed_revision) == (2, 2)  # Argo CD's history id 1, counted from 1
    assert (live.chart_name, live.chart_version) == ("app", "1.0.0")
    assert live.values == {"replicaCount": 3, "image": {"tag": "2.7.0"}}
    assert live.manifest == ""
    assert live.labels[COMMIT_LABEL] == COMMIT
    assert live.managed_by("prod")
    assert {MANAGED_BY, ENV_LABEL, APP_LABEL} <= set(live.labels)


def test_statuses_follow_the_operation(tmp_path: Path) -> None:
    app = api_app(tmp_path)
    assert live_release(app).status == "pending-install"  # applied, never synced
    assert live_release(app).rollback_target is None  # undoing it deletes it
    failed = synced(app, ids=1, phase="Failed")
    assert live_release(failed).status == "failed"
    assert live_release(failed).rollback_target == 1
    running = synced(app, ids=1)
    running["operation"] = {"sync": {"revision": COMMIT}}
    assert live_release(running).status == "pending-upgrade"
    first_failed = synced(app, ids=0, phase="Failed")
    assert live_release(first_failed).status == "pending-install"


def test_a_stale_comparison_or_an_unexplained_out_of_sync_is_out_of_sync(tmp_path: Path) -> None:
    obj = synced(api_app(tmp_path))
    obj["spec"]["source"]["helm"]["valuesObject"]["replicaCount"] = 5  # spec changed, not compared yet
    assert live_release(obj).status == "out-of-sync"
    obj = synced(api_app(tmp_path))
    obj["status"]["sync"]["status"] = "OutOfSync"
    assert live_release(obj).status == "out-of-sync"


def test_out_of_sync_resources_are_drift(tmp_path: Path) -> None:
    obj = synced(api_app(tmp_path))
    obj["status"]["sync"]["status"] = "OutOfSync"
    obj["status"]["resources"] = [
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "api", "name": "api", "status": "OutOfSync"},
        {"version": "v1", "kind": "Service", "namespace": "api", "name": "api", "status": "OutOfSync",
         "health": {"status": "Missing"}},
        {"version": "v1", "kind": "ConfigMap", "namespace": "api", "name": "api", "status": "Synced"},
    ]  # fmt: skip
    drift = reported_drift(obj)
    assert [(d.ref, d.reason) for d in drift] == [
        (ObjectRef("apps/v1", "Deployment", "api", "api"), MODIFIED),
        (ObjectRef("v1", "Service", "api", "api"), MISSING),
    ]
    assert live_release(obj).status == "deployed"  # the drift says why it is out of sync


def test_health_names_the_application_and_its_unhealthy_resources(tmp_path: Path) -> None:
    assert health_problems(synced(api_app(tmp_path))) == ()
    obj = synced(api_app(tmp_path), health="Degraded")
    obj["status"]["health"]["message"] = "a pod failed"
    obj["status"]["resources"] = [
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "api", "name": "api",
         "health": {"status": "Degraded", "message": "Deployment has 0 available replicas"}},
    ]  # fmt: skip
    assert health_problems(obj) == (
        "Degraded: a pod failed",
        "Deployment api/api: Degraded: Deployment has 0 available replicas",
    )


def test_history_lists_every_revision_with_its_commit(tmp_path: Path) -> None:
    obj = synced(api_app(tmp_path), ids=2)
    older = SyncedSpec(0, obj["spec"]["source"], {COMMIT_LABEL: "b" * 40}, "then")
    obj["metadata"]["annotations"][REVISIONS_ANNOTATION] = with_synced(obj, older)
    found = history(obj)
    assert [(r.revision, r.status) for r in found] == [(1, "superseded"), (2, "failed")]
    assert found[0].labels[COMMIT_LABEL] == "b" * 40
    assert found[0].updated is not None and found[0].updated.day == 1
    newer = SyncedSpec(1, obj["spec"]["source"], {COMMIT_LABEL: COMMIT}, "now")
    obj["metadata"]["annotations"][REVISIONS_ANNOTATION] = with_synced(obj, newer)
    assert [(r.revision, r.status) for r in history(obj)] == [(1, "superseded"), (2, "deployed")]


def test_a_sync_envman_never_saw_healthy_is_failed_and_undone_to_the_last_good(tmp_path: Path) -> None:
    """Argo CD records a sync in its history once applied, Healthy or not."""
    obj = synced(api_app(tmp_path), ids=3)
    good = SyncedSpec(1, obj["spec"]["source"], {}, "then")
    obj["metadata"]["annotations"][REVISIONS_ANNOTATION] = with_synced(obj, good)
    live = live_release(obj)
    assert (live.status, live.revision, live.rollback_target) == ("failed", 3, 2)
    del obj["metadata"]["annotations"][REVISIONS_ANNOTATION]  # no record of envman's: Argo CD's history
    assert (live_release(obj).status, live_release(obj).rollback_target) == ("deployed", 3)
