"""Waves (membership, order, settings) and dependency layers, from YAML in a tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.kit.errors import SpecError
from envman.plan.fleet import resolve
from envman.plan.graph import dependency_edges, layers
from envman.plan.waves import DEFAULT_WAVE, plan_waves
from tests.plan.builders import PROD, environment, load_fleet

NO_ROLLOUT = PROD.split("rollout:")[0]


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        resolve(environment(tmp_path, text))
    return [p.message for p in caught.value.problems]


def test_waves_keep_spec_order_and_select_by_cluster_label_and_region(tmp_path: Path) -> None:
    fleet = load_fleet(tmp_path)
    assert [(w.name, w.clusters) for w in fleet.waves] == [
        ("canary", ("use1-canary",)),
        ("us", ("use1",)),
        ("world", ("euw1", "apse1")),
    ]


def test_wave_settings_resolve_bake_approval_parallelism_and_gates(tmp_path: Path) -> None:
    canary, us, world = load_fleet(tmp_path).waves
    assert (canary.bake_seconds, us.bake_seconds, world.bake_seconds) == (600.0, None, None)
    assert (canary.approval, us.approval, world.approval) == (False, True, False)
    assert (canary.max_parallel, us.max_parallel, world.max_parallel) == (1, 1, 2)
    assert [g.kind for g in canary.gates] == ["health", "helmTest"]  # common first, then the wave's
    assert [g.kind for g in us.gates] == [g.kind for g in world.gates] == ["health"]
    assert us.gates[0].model_dump(exclude_none=True) == {"health": {"timeout": 300.0}}
    assert canary.gates[1].model_dump(exclude_none=True) == {"helmTest": {"timeout": 120.0}}


def test_a_bake_in_long_form_sets_its_interval(tmp_path: Path) -> None:
    long_form = PROD.replace("bake: 10m", "bake: {duration: 10m, every: 10s}")
    canary = resolve(environment(tmp_path, long_form)).waves[0]
    assert (canary.bake_seconds, canary.bake_every_seconds) == (600.0, 10.0)
    assert load_fleet(tmp_path / "short").waves[0].bake_every_seconds == 30.0  # the short form's


def test_a_bake_interval_must_be_positive_and_keys_are_checked(tmp_path: Path) -> None:
    assert any(
        "every" in p
        for p in problems(tmp_path, PROD.replace("bake: 10m", "bake: {duration: 10m, every: 0s}"))
    )
    found = problems(tmp_path / "b", PROD.replace("bake: 10m", "bake: {duration: 10m, evry: 10s}"))
    assert any("evry" in p and "every" in p for p in found), found


def test_without_rollout_every_cluster_is_one_wave_with_the_health_gate(tmp_path: Path) -> None:
    (wave,) = load_fleet(tmp_path, NO_ROLLOUT).waves
    assert wave.name == DEFAULT_WAVE
    assert wave.clusters == ("use1-canary", "use1", "euw1", "apse1")
    assert [g.model_dump(exclude_none=True) for g in wave.gates] == [{"health": {"timeout": 300.0}}]
    assert (wave.approval, wave.bake_seconds, wave.max_parallel) == (False, None, 1)


def test_a_cluster_in_two_waves_or_in_none_is_an_error(tmp_path: Path) -> None:
    text = PROD.replace(
        "selector: {region: [us-east-1], labels: {ring: ga}}", "regions: [us-east-1]"
    ).replace("selector: {region: [eu-west-1, ap-southeast-1]}", "clusters: [euw1]")
    assert problems(tmp_path, text) == [  # in file order: the clusters come before the waves
        "cluster 'apse1' is in no wave",
        "cluster 'use1-canary' is in two waves: 'canary' and 'us'",
    ]


def test_an_unknown_wave_region_suggests_the_closest(tmp_path: Path) -> None:
    env = environment(tmp_path, PROD.replace("[eu-west-1, ap-southeast-1]", "[eu-west-2, ap-southeast-1]"))
    _, found = plan_waves(env)
    assert [p.message for p in found] == [
        "unknown region 'eu-west-2' in wave 'world'; did you mean 'eu-west-1'?",
        "cluster 'euw1' is in no wave",
    ]


def test_layers_follow_needs_not_spec_order(tmp_path: Path) -> None:
    """Spec order is web, api, db, crds; inside a layer, spec order is kept."""
    env = environment(tmp_path)
    assert layers(env) == [["crds"], ["web", "db"], ["api"]]
    assert set(dependency_edges(env)) == {
        ("crds", "web"),
        ("db", "api"),
        ("crds", "api"),
        ("crds", "db"),
    }


def test_per_cluster_layers_leave_out_disabled_apps(tmp_path: Path) -> None:
    fleet = load_fleet(tmp_path)
    assert fleet.layers["use1"] == (("crds",), ("web", "db"), ("api",))
    assert fleet.layers["apse1"] == (("crds",), ("web",))


def test_a_dependency_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    text = PROD.replace("namespace: platform", "namespace: platform\n    needs: [api]")
    assert problems(tmp_path, text) == [
        "dependency cycle: api -> db -> crds -> api",
        "dependency cycle: api -> crds -> api",
    ]


def test_a_needed_app_disabled_where_its_dependent_runs_is_an_error(tmp_path: Path) -> None:
    text = PROD.replace("      apse1: {enabled: false}\n  db:", "  db:")
    assert problems(tmp_path, text) == ["apps.api needs 'db', which is disabled on cluster 'apse1'"]
