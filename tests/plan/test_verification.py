"""Whether a wave's verification record covers what runs: the digest of the running state
(`running_digest`) in the terms of the desired one (`release_digest`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envman.plan.cluster_state import DIGEST_LABEL, ClusterState
from envman.plan.compare import build_plan
from envman.plan.model import Plan, ReleasePlan
from envman.plan.select import select
from envman.plan.verification import release_digest, running_digest, runs_verified
from tests.plan.builders import PROD, desired_of, live_of, load_fleet, synced_states


def _plan(root: Path, spec: str, states: dict[str, ClusterState] | None = None) -> Plan:
    fleet = load_fleet(root, spec)
    selection = select(fleet.env)
    desired = desired_of(fleet, selection)
    return build_plan(fleet, selection, desired, states or synced_states(desired))


def _api(plan: Plan, cluster: str = "use1") -> ReleasePlan:
    return next(r for r in plan.releases if r.cluster == cluster and r.app == "api")


def test_the_running_state_of_a_synced_release_has_its_desired_digest(tmp_path: Path) -> None:
    fleet = load_fleet(tmp_path)
    desired = desired_of(fleet, select(fleet.env))["use1"]["api"]
    desired = replace(desired, chart_digest="c0ffee")
    live = live_of(desired)
    live = replace(live, labels={**live.labels, DIGEST_LABEL: "c0ffee"})
    assert running_digest(desired, live) == release_digest(desired, live)
    assert running_digest(desired, replace(live, chart_version="0.1.0")) != release_digest(desired, live)


def test_a_synced_wave_is_verified_for_what_runs(tmp_path: Path) -> None:
    fleet = load_fleet(tmp_path)
    states = synced_states(desired_of(fleet, select(fleet.env)))
    for wave in _plan(tmp_path, PROD, states).waves:
        for cluster in wave.clusters:
            record = states[cluster.name].verifications[wave.name]
            assert all(runs_verified(r, record.releases.get(r.app)) for r in cluster.releases)


def test_a_spec_changed_since_does_not_unverify_what_runs_but_another_state_does(tmp_path: Path) -> None:
    before = load_fleet(tmp_path / "before")
    states = synced_states(desired_of(before, select(before.env)))
    record = states["use1"].verifications["us"]

    changed = _plan(tmp_path / "after", PROD.replace('tag: "2.7.0"', 'tag: "2.8.0"'), states)
    assert _api(changed).changed and runs_verified(
        _api(changed), record.releases["api"]
    )  # it still runs what passed

    rolled = dict(states)
    live = rolled["use1"].releases[("api", "api")]
    old = replace(live, values={**live.values, "image": {"repository": "api", "tag": "2.6.0"}})
    rolled["use1"] = replace(rolled["use1"], releases={**rolled["use1"].releases, ("api", "api"): old})
    after_rollback = _plan(tmp_path / "rolled", PROD, rolled)
    assert not runs_verified(
        _api(after_rollback), record.releases["api"]
    )  # a hand-made rollback runs another state
    assert not runs_verified(_api(after_rollback), None)
