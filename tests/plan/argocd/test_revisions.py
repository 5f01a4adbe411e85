"""The specs envman records of the syncs it saw Healthy, and how a revision's spec is found."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from envman.plan.argocd.applications import REVISIONS_ANNOTATION
from envman.plan.argocd.revisions import KEPT_REVISIONS, SyncedSpec, synced_spec, synced_specs, with_synced
from envman.plan.cluster_state import COMMIT_LABEL
from tests.plan.argocd.fixtures import argo_fleet, built, desired, synced


def api_app(tmp_path: Path) -> dict[str, Any]:
    fleet = argo_fleet(tmp_path)
    return built(fleet, desired(fleet)["use1"]["api"])


def test_synced_specs_are_kept_newest_last_and_capped(tmp_path: Path) -> None:
    obj = synced(api_app(tmp_path))
    source = obj["spec"]["source"]
    for i in range(KEPT_REVISIONS + 3):
        annotation = with_synced(obj, SyncedSpec(i, source, {COMMIT_LABEL: f"c{i}"}, "now"))
        obj["metadata"]["annotations"][REVISIONS_ANNOTATION] = annotation
    kept = synced_specs(obj)
    assert [s.id for s in kept] == list(range(3, KEPT_REVISIONS + 3))
    big = copy.deepcopy(source)
    big["helm"]["valuesObject"]["blob"] = "x" * 40_000
    annotation = with_synced(obj, SyncedSpec(99, big, {}, "now"))
    assert len(annotation.encode()) <= 128 * 1024
    assert json.loads(annotation)[-1]["id"] == 99


def test_a_revisions_spec_comes_from_envmans_record_else_argo_cds_history(tmp_path: Path) -> None:
    obj = synced(api_app(tmp_path), ids=3)
    old = copy.deepcopy(obj["spec"]["source"])
    old["helm"]["valuesObject"]["replicaCount"] = 1
    recorded = SyncedSpec(1, old, {COMMIT_LABEL: "b" * 40}, "then")
    obj["metadata"]["annotations"][REVISIONS_ANNOTATION] = with_synced(obj, recorded)
    assert synced_spec(obj, 2) == recorded  # revision 2 is history id 1
    from_history = synced_spec(obj, 1)
    assert from_history is not None and from_history.annotations == {}
    assert from_history.source == obj["status"]["history"][0]["source"]
    assert synced_spec(obj, 7) is None
