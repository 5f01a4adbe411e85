"""How far a sync envman started has come, judged from the Application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envman.plan.argocd.progress import sync_state
from tests.plan.argocd.fixtures import COMMIT, argo_fleet, built, desired, synced


def app(tmp_path: Path, **kwargs: Any) -> dict[str, Any]:
    fleet = argo_fleet(tmp_path)
    return synced(built(fleet, desired(fleet)["use1"]["api"]), **kwargs)


def test_done_when_succeeded_synced_at_the_revision_and_healthy(tmp_path: Path) -> None:
    state = sync_state(app(tmp_path), COMMIT)
    assert (state.done, state.failure) == (True, None)


def test_not_done_while_the_operation_is_requested_or_running(tmp_path: Path) -> None:
    obj = app(tmp_path)
    obj["operation"] = {"sync": {"revision": COMMIT}}
    assert not sync_state(obj, COMMIT).done
    obj.pop("operation")
    obj["status"]["operationState"]["phase"] = "Running"
    state = sync_state(obj, COMMIT)
    assert (state.done, state.failure) == (False, None)
    assert state.detail.startswith("operation Running, Synced at aaaaaaaaaaaa, Healthy")


def test_not_done_at_another_revision_or_while_progressing(tmp_path: Path) -> None:
    assert not sync_state(app(tmp_path), "b" * 40).done
    progressing = sync_state(app(tmp_path, health="Progressing"), COMMIT)
    assert (progressing.done, progressing.failure) == (False, None)


def test_a_failed_operation_fails_with_argo_cds_message(tmp_path: Path) -> None:
    obj = app(tmp_path, phase="Failed")
    obj["status"]["operationState"]["message"] = "one or more objects failed to apply"
    assert sync_state(obj, COMMIT).failure == "sync failed: one or more objects failed to apply"


def test_degraded_health_fails_with_the_unhealthy_resources(tmp_path: Path) -> None:
    obj = app(tmp_path, health="Degraded")
    obj["status"]["resources"] = [
        {"version": "v1", "kind": "Pod", "namespace": "api", "name": "api-1",
         "health": {"status": "Degraded", "message": "Back-off pulling image"}},
    ]  # fmt: skip
    obj["status"]["resources"].append(
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "api", "name": "api",
         "health": {"status": "Progressing", "message": "Waiting for rollout to finish"}}
    )  # fmt: skip
    obj["status"]["health"]["message"] = 'Back-off pulling image "api:bad"'
    assert sync_state(obj, COMMIT).failure == (
        'Degraded: Back-off pulling image "api:bad"; Pod api/api-1: Degraded: Back-off pulling image'
    )


def test_degraded_before_the_sync_is_waited_out(tmp_path: Path) -> None:
    obj = app(tmp_path, health="Degraded")
    state = sync_state(obj, COMMIT, degraded_fails=False)
    assert (state.done, state.failure) == (False, None)
    assert state.detail.endswith("Degraded")
