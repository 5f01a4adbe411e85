"""Which end-to-end tests run on both helm versions, and why (`tests/conftest.py` reads it)."""

from __future__ import annotations

BOTH_HELMS: dict[str, str] = {
    "test_storage.py": "helm 3 and helm 4 store releases each their own way (the ConfigMap driver too)",
    "test_fail_fast.py": "the race of helm's own wait against the watcher differs (helm 4 fails a hook Job itself)",
    "test_public_charts.py": "real charts: CRDs, hooks, kept resources and rollbacks go through each helm's own code",
    "test_reviewed_is_run.py": "a rendering compared with what each helm stores, and each helm's rollback of labels",
    "test_supply_chain.py": "helm pull, helm verify and repository updates differ between the versions",
    "test_remote_charts.py": "each helm fetches from HTTP repositories and OCI registries in its own way",
    "test_rollback.py": "helm rollback to a revision, and its history, on each helm",
    "test_truthful_plan.py::test_template_edit_without_a_version_bump_is_planned_and_deployed": (
        "a rendering compared with the manifest each helm stores"
    ),
    "test_truthful_plan.py::test_a_default_edited_in_a_charts_values_yaml_is_a_change": (
        "a rendering compared with the manifest each helm stores"
    ),
    "test_truthful_plan.py::test_deleted_object_is_drift_and_sync_restores_it": (
        "helm 3's three-way merge and helm 4's server-side apply repair drift differently"
    ),
    "test_truthful_plan.py::test_hand_edited_field_is_drift_and_sync_restores_it": (
        "helm 3's three-way merge and helm 4's server-side apply repair drift differently"
    ),
    "test_truthful_plan.py::test_hand_scaled_replicas_are_drift_unless_ignored": (
        "helm 3's three-way merge and helm 4's server-side apply own fields differently"
    ),
    "test_faults.py::test_kill_9_mid_upgrade_then_rerun_rolls_back_to_the_last_deployed_revision": (
        "the pending release a killed helm leaves, recovered by each helm's own rollback"
    ),
    "test_faults.py::test_ctrl_c_to_the_process_group_mid_upgrade_lets_helm_finish": (
        "each helm's own handling of the signals it is spared or sent"
    ),
    "test_faults.py::test_second_ctrl_c_cancels_in_flight_helm_and_puts_the_release_back": (
        "each helm's own handling of the signals it is spared or sent"
    ),
    "test_sync.py::test_full_sync_then_nothing_to_do": (
        "the whole example on each helm: a pre-upgrade hook Job, helm tests, a StatefulSet"
    ),
    "test_sync.py::test_failed_wave_rolls_back_and_rerun_resumes": "helm rollback --wait on each helm",
}
"""The end-to-end tests that run on helm 3 as well as helm 4, and why: where the two versions
behave differently (storage, server-side apply against the three-way merge, hooks, the races
of fail fast, real charts, fetching and verifying charts). Every other e2e test runs on helm 4
only: what it checks is envman's own logic, which the helm version does not change."""


def on_both_helms(module: str, test: str) -> bool:
    """Whether the e2e test `test` of file `module` runs on helm 3 as well as helm 4."""
    return module in BOTH_HELMS or f"{module}::{test}" in BOTH_HELMS
