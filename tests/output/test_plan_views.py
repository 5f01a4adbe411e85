"""The plan JSON contract (`plan -o json`, `docs/plan-json.md`), and secrets never shown in
any view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envman.kit.redact import REDACTED
from envman.output.plan_views import json_view, markdown_view, text_view
from envman.plan.cluster_state import LiveRelease, managed_labels
from envman.plan.compare import build_plan
from envman.plan.fleet import Fleet
from envman.plan.model import Plan
from envman.plan.select import select
from tests.plan.builders import API_SECRET, desired_of, live_of, load_fleet, state_of, synced_states

RELEASE_KEYS = {
    "app",
    "release",
    "namespace",
    "chart",
    "version",
    "action",
    "revision",
    "changes",
    "drift",
    "notes",
}


def plain(text: str, **_: Any) -> str:
    return text


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return load_fleet(tmp_path)


@pytest.fixture
def mixed(fleet: Fleet) -> Plan:
    """On use1: crds unchanged, web installed, db version bump, api secret and tag change,
    and a stale release pruned. Every other cluster: all installs."""
    selection = select(fleet.env)
    desired = desired_of(fleet, selection)
    states = {c: state_of(c) for c in fleet.env.clusters}
    use1 = desired["use1"]
    api_live = {
        **use1["api"].values,
        "db": {"password": "old-secret-value"},
        "image": {"repository": "api", "tag": "2.6.0"},
    }
    stale = LiveRelease("old", "legacy", 9, "deployed", "old", "0.3.0", {}, managed_labels("prod", "old"))
    states["use1"] = state_of(
        "use1",
        [
            live_of(use1["crds"]),
            live_of(use1["db"], version="0.9.0", revision=4),
            live_of(use1["api"], values=api_live, revision=7),
            stale,
        ],
    )
    return build_plan(fleet, selection, desired, states, prune=True)


def use1(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (cluster,) = (c for w in document["waves"] for c in w["clusters"] if c["name"] == "use1")
    return {r["app"]: r for r in cluster["releases"]}


def test_json_document_has_the_documented_shape(mixed: Plan) -> None:
    document = json.loads(json_view(mixed))
    assert set(document) == {"format_version", "environment", "waves", "summary"}
    assert document["format_version"] == 1
    assert document["environment"] == "prod"
    assert [w["name"] for w in document["waves"]] == ["canary", "us", "world"]
    for wave in document["waves"]:
        assert set(wave) == {"name", "verified", "clusters"}
        for cluster in wave["clusters"]:
            assert set(cluster) == {"name", "region", "releases"}
            assert all(set(r) == RELEASE_KEYS for r in cluster["releases"])
    assert [(c["name"], c["region"]) for c in document["waves"][2]["clusters"]] == [
        ("euw1", "eu-west-1"),
        ("apse1", "ap-southeast-1"),
    ]


def test_json_summary_counts_every_action(mixed: Plan) -> None:
    document = json.loads(json_view(mixed))
    assert document["summary"] == {
        "install": 11,
        "upgrade": 2,
        "unchanged": 1,
        "uninstall": 1,
        "drift": 0,
        "verify": 0,
    }
    assert document["summary"] == mixed.summary()


def test_json_releases_in_layer_order_with_uninstalls_last(mixed: Plan) -> None:
    releases = use1(json.loads(json_view(mixed)))
    assert list(releases) == ["crds", "web", "db", "api", "old"]
    assert {app: r["action"] for app, r in releases.items()} == {
        "crds": "unchanged",
        "web": "install",
        "db": "upgrade",
        "api": "upgrade",
        "old": "uninstall",
    }


def test_json_release_fields(mixed: Plan, fleet: Fleet) -> None:
    releases = use1(json.loads(json_view(mixed)))
    web, db, old = releases["web"], releases["db"], releases["old"]
    assert (web["release"], web["namespace"], web["version"], web["revision"], web["changes"]) == (
        "web",
        "web",
        "1.0.0",
        None,
        [],
    )
    assert web["chart"] == "charts/app"  # as written in the spec, relative to the repository
    assert db["revision"] == 4
    assert db["changes"] == [{"path": "version", "kind": "version", "from": "0.9.0", "to": "1.0.0"}]
    assert (old["release"], old["namespace"], old["chart"], old["version"], old["revision"]) == (
        "old",
        "legacy",
        "old",
        "0.3.0",
        9,
    )


def test_json_value_changes_carry_path_kind_from_and_to_with_secrets_redacted(mixed: Plan) -> None:
    api = use1(json.loads(json_view(mixed)))["api"]
    assert api["revision"] == 7
    assert api["changes"] == [
        {"path": "db.password", "kind": "value", "from": REDACTED, "to": REDACTED},
        {"path": "image.tag", "kind": "value", "from": "2.6.0", "to": "2.7.0"},
    ]


def test_no_view_prints_a_secret_value(mixed: Plan) -> None:
    views = {"json": json_view(mixed), "text": text_view(mixed, plain), "markdown": markdown_view(mixed)}
    for name, text in views.items():
        assert API_SECRET not in text, name
        assert "old-secret-value" not in text, name
    assert "db.password: <redacted> (changed)" in views["text"]
    assert 'image.tag: "2.6.0" -> "2.7.0"' in views["text"]
    assert "version 0.9.0 -> 1.0.0" in views["text"]


def test_text_view_lists_waves_in_order_and_ends_with_the_summary(fleet: Fleet) -> None:
    selection = select(fleet.env)
    desired = desired_of(fleet, selection)
    text = text_view(build_plan(fleet, selection, desired, synced_states(desired)), plain)
    heads = [line for line in text.splitlines() if line.startswith("wave ")]
    assert heads == ["wave 1: canary  (no change)", "wave 2: us  (no change)", "wave 3: world  (no change)"]
    assert text.splitlines()[-1] == "Plan for prod: 0 to install, 0 to upgrade, 0 to uninstall, 14 unchanged."
