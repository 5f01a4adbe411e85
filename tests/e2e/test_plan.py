"""`envman plan`, `diff` and `status` against sandbox clusters with real helm (3 and 4)."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import PROD_CLUSTERS, SECRETS, Fleet
from tests.output.test_status_views import STATUS_HEADERS

pytestmark = pytest.mark.helm
ORDER = ["platform-crds", "postgres", "api", "worker", "web"]
TWO = ("--cluster", "prod-use1-canary", "--cluster", "prod-euw1")


def plan_json(prod: Fleet, *args: str) -> dict:  # type: ignore[type-arg]
    result = prod.envman("plan", "prod", "-o", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def actions(plan: dict) -> dict[str, dict[str, str]]:  # type: ignore[type-arg]
    return {
        c["name"]: {r["app"]: r["action"] for r in c["releases"]}
        for w in plan["waves"]
        for c in w["clusters"]
    }


def test_empty_clusters_plan_installs_in_rollout_order(prod: Fleet) -> None:
    plan = plan_json(prod)
    assert [w["name"] for w in plan["waves"]] == ["canary", "us", "world"]
    assert [c["name"] for w in plan["waves"] for c in w["clusters"]] == PROD_CLUSTERS
    canary = plan["waves"][0]["clusters"][0]
    assert [r["app"] for r in canary["releases"]] == ORDER
    assert {r["action"] for w in plan["waves"] for c in w["clusters"] for r in c["releases"]} == {"install"}
    assert plan["summary"] == {
        "install": 24,
        "upgrade": 0,
        "unchanged": 0,
        "uninstall": 0,
        "drift": 0,
        "verify": 0,
    }
    result = prod.envman("plan", "prod", "--detailed-exitcode")
    assert result.exit_code == 2


def test_planned_values_installed_are_unchanged_then_targeted_changes_show(prod: Fleet) -> None:
    prod.apply("prod-use1-canary", "prod-euw1")
    unchanged = prod.envman("plan", "prod", *TWO, "--detailed-exitcode")
    # installed by hand (not by a sync): nothing to change, but no gate ever passed for it
    assert unchanged.exit_code == 2, unchanged.output
    assert "0 to install, 0 to upgrade, 0 to uninstall, 10 unchanged, 2 waves to verify." in unchanged.stdout
    prod.edit(
        "environments/prod.yaml",
        "ingress: {host: api.eu.example.com}",
        "ingress: {host: api.eu2.example.com}",
    )
    prod.edit("environments/prod.yaml", "values: {replicaCount: 1}", "values: {replicaCount: 2}")
    plan = plan_json(prod, *TWO)
    assert actions(plan) == {
        "prod-use1-canary": {**dict.fromkeys(ORDER, "unchanged"), "worker": "upgrade"},
        "prod-euw1": {**dict.fromkeys(ORDER, "unchanged"), "api": "upgrade"},
    }
    euw1_api = plan["waves"][1]["clusters"][0]["releases"][2]
    assert euw1_api["changes"] == [
        {"path": "ingress.host", "kind": "value", "from": "api.eu.example.com", "to": "api.eu2.example.com"}
    ]
    text = prod.envman("plan", "prod", *TWO).stdout
    assert "replicaCount: 1 -> 2" in text and "Plan for prod: 0 to install, 2 to upgrade" in text


def test_hand_made_drift_shows_in_plan(prod: Fleet) -> None:
    prod.apply("prod-euw1")
    prod.run_helm(
        "prod-euw1",
        "upgrade",
        "web",
        str(prod.root / "charts/web"),
        "-n",
        "web",
        "--reuse-values",
        "--set",
        "replicaCount=7",
    )
    plan = plan_json(prod, "--cluster", "prod-euw1")
    web = plan["waves"][0]["clusters"][0]["releases"][-1]
    assert web["action"] == "upgrade" and web["revision"] == 2
    assert web["changes"] == [{"path": "replicaCount", "kind": "value", "from": 7, "to": 3}]


def test_prune_lists_only_envman_orphans(prod: Fleet) -> None:
    prod.apply("prod-apse1")
    web = str(prod.root / "charts/web")
    prod.run_helm("prod-apse1", "install", "theirs", web, "-n", "other", "--create-namespace")
    prod.run_helm(
        "prod-apse1",
        "install",
        "legacy",
        web,
        "-n",
        "web",
        "--create-namespace",
        "--labels",
        "managed-by=envman,envman.io/environment=prod,envman.io/app=legacy",
    )
    plain = actions(plan_json(prod, "--cluster", "prod-apse1"))
    assert plain == {"prod-apse1": dict.fromkeys(["platform-crds", "postgres", "api", "worker"], "unchanged")}
    pruned = actions(plan_json(prod, "--cluster", "prod-apse1", "--prune"))
    assert pruned["prod-apse1"]["legacy"] == "uninstall" and "theirs" not in pruned["prod-apse1"]


def test_secret_changes_are_shown_redacted_in_every_format(
    prod: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod.apply("prod-use1-canary")
    monkeypatch.setenv("API_DB_PASSWORD", "new-api-secret-42")
    outputs = [
        prod.envman("plan", "prod", "--cluster", "prod-use1-canary", "-o", fmt).stdout
        for fmt in ("text", "json", "markdown")
    ]
    assert "db.password: <redacted> (changed)" in outputs[0]
    assert {"path": "db.password", "kind": "value", "from": "<redacted>", "to": "<redacted>"} in json.loads(
        outputs[1]
    )["waves"][0]["clusters"][0]["releases"][2]["changes"]
    for output in outputs:
        for secret in (*SECRETS.values(), "new-api-secret-42"):
            assert secret not in output


def test_unreachable_cluster_and_missing_context(prod: Fleet) -> None:
    prod.sandbox.sandbox.stop()
    result = prod.envman("plan", "prod", "--cluster", "prod-euw1")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: cluster 'prod-euw1' (context 'prod-euw1' in ")
    assert result.stderr.rstrip().endswith(
        "list helm releases: cannot reach the API server (connection refused)"
    )
    prod.edit(
        "environments/prod.yaml",
        "    region: ap-southeast-1\n",
        "    region: ap-southeast-1\n    context: prod-apse9\n",
    )
    result = prod.envman("plan", "prod", "--cluster", "prod-apse1")
    assert result.exit_code == 1
    assert "cluster 'prod-apse1' (context 'prod-apse9' in" in result.stderr
    assert "context 'prod-apse9' not found in the kubeconfig" in result.stderr


def test_diff_and_status_show_hand_made_drift(prod: Fleet) -> None:
    prod.apply("prod-use1")
    assert prod.envman("diff", "prod", "--cluster", "prod-use1").stdout == ""
    prod.run_helm(
        "prod-use1",
        "upgrade",
        "api",
        str(prod.root / "charts/api"),
        "-n",
        "api",
        "--reuse-values",
        "--set",
        "logLevel=debug",
    )
    diff = prod.envman("diff", "prod", "--cluster", "prod-use1").stdout
    config = diff[diff.index("# ConfigMap api/api\n") :]
    assert diff.startswith("== upgrade of api (namespace api) on prod-use1\n")
    assert config.startswith("# ConfigMap api/api\n--- stored (revision 2)\n+++ desired\n")
    assert "-  LOG_LEVEL: debug\n+  LOG_LEVEL: warn\n" in config
    assert not any(secret in diff for secret in SECRETS.values())
    status = json.loads(prod.envman("status", "prod", "--cluster", "prod-use1", "-o", "json").stdout)
    rows = {r["app"]: r for r in status["releases"]}
    assert (rows["api"]["state"], rows["api"]["revision"], rows["api"]["status"]) == (
        "differs",
        2,
        "deployed",
    )
    assert rows["api"]["changes"] == [{"path": "logLevel", "kind": "value", "from": "debug", "to": "warn"}]
    assert (rows["web"]["state"], rows["web"]["healthy"]) == ("in-sync", True), rows


def test_status_reports_unhealthy_workloads(prod: Fleet) -> None:
    prod.apply("prod-euw1-b")
    prod.sandbox.fail("prod-euw1-b", "web")
    prod.run_helm(
        "prod-euw1-b",
        "upgrade",
        "web",
        str(prod.root / "charts/web"),
        "-n",
        "web",
        "--reuse-values",
        "--set",
        "image.tag=bad",
    )
    text = prod.envman("status", "prod", "--cluster", "prod-euw1-b").stdout
    assert text.splitlines()[0].split() == STATUS_HEADERS
    web = text[re.search(r"^prod-euw1-b\s+web\s", text, re.MULTILINE).start() :]  # type: ignore[union-attr]
    assert re.search(r"\sunhealthy\s+differs\s", web.splitlines()[0]), text
    assert "    differs: image.tag: " in web and "ghcr.io/example/web:bad" in web.splitlines()[0]
    assert "deployment web/web: " in web
