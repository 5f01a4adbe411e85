"""The plan tells the truth (README, What the plan compares): chart content, live drift, the verification
record and a resume that never skips a gate, read-only commands without secrets. Each test
checks the clusters (helm history, the kubernetes API) besides envman's own output, on both
helm versions."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.e2e.conftest import PROD_CLUSTERS, SECRETS, Fleet, fast, synced
from tests.e2e.health import canary_http_gate
from tests.e2e.test_sync import ENVMAN, report, results

pytestmark = pytest.mark.helm

EXTRA_CONFIGMAP = """---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data:
  hello: world
"""


def kube(prod: Fleet, cluster: str) -> client.ApiClient:
    return config.new_client_from_config(str(prod.sandbox.kubeconfig), context=cluster)


def history(prod: Fleet, cluster: str, release: str, namespace: str) -> list[dict[str, Any]]:
    argv = [str(prod.helm), "--kube-context", cluster, "--kubeconfig", str(prod.sandbox.kubeconfig)]
    out = subprocess.run(
        [*argv, "history", release, "-n", namespace, "-o", "json"], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def plan_json(prod: Fleet, *args: str) -> dict[str, Any]:
    result = prod.envman("plan", "prod", "-o", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def releases(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["name"], r["app"]): r for w in doc["waves"] for c in w["clusters"] for r in c["releases"]}


def changed(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {key for key, r in releases(doc).items() if r["action"] != "unchanged"}


@pytest.mark.synced
def test_plan_right_after_sync_is_empty_and_every_wave_verified(prod: Fleet) -> None:
    doc = plan_json(prod)
    assert changed(doc) == set()
    assert [w["verified"] for w in doc["waves"]] == [True, True, True]
    assert doc["summary"]["drift"] == 0 and doc["summary"]["verify"] == 0
    assert all(r["chart"].startswith("charts/") for r in releases(doc).values())
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 0
    assert prod.envman("diff", "prod", "--detailed-exitcode").exit_code == 0
    assert prod.envman("status", "prod", "--detailed-exitcode").exit_code == 0


@pytest.mark.synced
def test_template_edit_without_a_version_bump_is_planned_and_deployed(prod: Fleet) -> None:
    template = prod.root / "charts/web/templates/deployment.yaml"
    template.write_text(template.read_text() + EXTRA_CONFIGMAP)
    doc = plan_json(prod)
    using_web = {(c, "web") for c in PROD_CLUSTERS if c != "prod-apse1"}  # web is off on apse1
    assert changed(doc) == using_web
    web = releases(doc)[("prod-use1", "web")]
    assert [c["kind"] for c in web["changes"]] == ["chart content"]
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 2
    diff = prod.envman("diff", "prod", "--cluster", "prod-use1").stdout
    assert "# ConfigMap web/web-extra\n" in diff and "+  hello: world\n" in diff
    synced(prod)
    for cluster, _ in using_web:
        extra = client.CoreV1Api(kube(prod, cluster)).read_namespaced_config_map("web-extra", "web")
        assert extra.data == {"hello": "world"}
        assert [h["revision"] for h in history(prod, cluster, "web", "web")] == [1, 2]
    assert changed(plan_json(prod)) == set()


def test_a_default_edited_in_a_charts_values_yaml_is_a_change(prod: Fleet) -> None:
    fast(prod)
    prod.apply("prod-euw1")
    values = prod.root / "charts/worker/values.yaml"
    values.write_text(values.read_text().replace("    memory: 256Mi", "    memory: 512Mi"))
    doc = plan_json(prod, "--cluster", "prod-euw1")
    assert changed(doc) == {("prod-euw1", "worker")}  # no digest recorded: compared by rendering
    worker = releases(doc)[("prod-euw1", "worker")]
    assert worker["changes"][0]["kind"] == "chart content"


@pytest.mark.synced
def test_deleted_object_is_drift_and_sync_restores_it(prod: Fleet) -> None:
    apps = client.AppsV1Api(kube(prod, "prod-use1"))
    apps.delete_namespaced_deployment("web", "web")
    doc = plan_json(prod)
    web = releases(doc)[("prod-use1", "web")]
    assert web["action"] == "upgrade" and web["changes"] == []
    assert web["drift"] == [
        {
            "kind": "Deployment",
            "namespace": "web",
            "name": "web",
            "reason": "missing",
            "paths": [],
            "values": [],
        }
    ]
    status = prod.envman("status", "prod", "--cluster", "prod-use1", "--detailed-exitcode")
    assert status.exit_code == 2, status.output
    assert "missing" in status.stdout and "drift: Deployment web/web missing" in status.stdout
    synced(prod)
    assert apps.read_namespaced_deployment("web", "web").spec.replicas == 3
    assert changed(plan_json(prod)) == set()


@pytest.mark.synced
def test_hand_scaled_replicas_are_drift_unless_ignored(prod: Fleet) -> None:
    apps = client.AppsV1Api(kube(prod, "prod-euw1"))
    apps.patch_namespaced_deployment_scale("worker", "api", {"spec": {"replicas": 5}})
    worker = releases(plan_json(prod, "--cluster", "prod-euw1"))[("prod-euw1", "worker")]
    assert [(d["name"], d["reason"], d["paths"]) for d in worker["drift"]] == [
        ("worker", "modified", ["spec.replicas"])
    ]
    prod.edit(
        "environments/base.yaml",
        "  worker:\n",
        "  worker:\n    ignoreDifferences: [{kind: Deployment, paths: [spec.replicas]}]\n",
    )
    assert releases(plan_json(prod, "--cluster", "prod-euw1"))[("prod-euw1", "worker")]["drift"] == []
    prod.edit(
        "environments/base.yaml", "    ignoreDifferences: [{kind: Deployment, paths: [spec.replicas]}]\n", ""
    )
    synced(prod)
    assert apps.read_namespaced_deployment("worker", "api").spec.replicas == 3
    assert [h["revision"] for h in history(prod, "prod-euw1", "worker", "api")] == [1, 2]


@pytest.mark.synced
def test_hand_edited_field_is_drift_and_sync_restores_it(prod: Fleet) -> None:
    core = client.CoreV1Api(kube(prod, "prod-apse1"))
    core.patch_namespaced_config_map("api", "api", {"data": {"LOG_LEVEL": "trace"}})
    api = releases(plan_json(prod, "--cluster", "prod-apse1"))[("prod-apse1", "api")]
    assert api["drift"] == [
        {
            "kind": "ConfigMap",
            "namespace": "api",
            "name": "api",
            "reason": "modified",
            "paths": ["data.LOG_LEVEL"],
            "values": [{"path": "data.LOG_LEVEL", "live": "trace", "desired": "warn"}],
        }
    ]
    stolen = base64.b64encode(b"stolen-by-hand").decode()
    core.patch_namespaced_secret("api", "api", {"data": {"DB_PASSWORD": stolen}})
    text = prod.envman("plan", "prod", "--cluster", "prod-apse1").stdout
    assert 'drift: ConfigMap api/api modified: data.LOG_LEVEL: live "trace", desired "warn"' in text
    assert "drift: Secret api/api modified: data.DB_PASSWORD\n" in text  # a Secret: its path only
    assert stolen not in text and SECRETS["API_DB_PASSWORD"] not in text
    synced(prod)
    assert core.read_namespaced_config_map("api", "api").data["LOG_LEVEL"] == "warn"


@pytest.mark.synced
def test_no_refresh_skips_the_live_read(prod: Fleet) -> None:
    client.AppsV1Api(kube(prod, "prod-use1")).delete_namespaced_deployment("web", "web")
    assert prod.envman("plan", "prod", "--no-refresh", "--detailed-exitcode").exit_code == 0
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 2


def test_halt_then_rerun_runs_the_canarys_gates_again(prod: Fleet, tmp_path: Path) -> None:
    fast(prod)
    prod.edit("environments/prod.yaml", "rollout:\n", "rollout:\n  onFailure: halt\n")
    with canary_http_gate(prod) as failing:
        synced(prod)
        prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
        failing.add("canary")
        halted = prod.envman("sync", "prod", "--report", str(tmp_path / "halted.json"))
        assert halted.exit_code == 3, halted.output
        assert results(report(prod, tmp_path / "halted.json"))["us"] == "not-started"
        doc = plan_json(prod)
        assert (doc["waves"][0]["name"], doc["waves"][0]["verified"]) == ("canary", False)
        assert "canary  (verify: gates will run)" in prod.envman("plan", "prod").stdout
        again = prod.envman("sync", "prod", "--report", str(tmp_path / "again.json"))
        assert again.exit_code == 3, again.output
        second = report(prod, tmp_path / "again.json")
        assert results(second) == {"canary": "failed", "us": "not-started", "world": "not-started"}
        assert ("http", "failed") in [(g["gate"], g["result"]) for g in second["waves"][0]["gates"]]
        assert len(history(prod, "prod-use1", "api", "api")) == 1  # never carried past the gate
        failing.clear()
        fixed = prod.envman("sync", "prod", "--report", str(tmp_path / "fixed.json"))
        assert fixed.exit_code == 0, fixed.output
        assert results(report(prod, tmp_path / "fixed.json")) == {
            "canary": "verified",
            "us": "succeeded",
            "world": "succeeded",
        }
    assert len(history(prod, "prod-use1", "api", "api")) == 2
    assert changed(plan_json(prod)) == set()


def test_interrupt_during_the_bake_then_rerun_verifies_the_canary(prod: Fleet, tmp_path: Path) -> None:
    fast(prod)
    prod.edit("environments/prod.yaml", "bake: 2s", "bake: 2m")
    argv = [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig)]
    run = subprocess.Popen(
        [*argv, "sync", "prod"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ENVMAN_HELM": str(prod.helm)},
    )
    assert run.stderr is not None
    for line in run.stderr:
        if "bake" in line and "started" in line:
            break
    run.send_signal(signal.SIGINT)
    _, rest = run.communicate(timeout=120)
    assert run.returncode == 1, rest
    prod.edit("environments/prod.yaml", "bake: 2m", "bake: 2s")
    rerun = prod.envman("sync", "prod", "--report", str(tmp_path / "rerun.json"))
    assert rerun.exit_code == 0, rerun.output
    doc = report(prod, tmp_path / "rerun.json")
    assert results(doc)["canary"] == "verified"
    gates = [(g["gate"], g["result"]) for g in doc["waves"][0]["gates"]]
    assert ("health", "passed") in gates and ("bake", "passed") in gates


@pytest.mark.synced
def test_status_and_plan_need_no_secrets(prod: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name)
    status = prod.envman("status", "prod", "--detailed-exitcode")
    assert status.exit_code == 0, status.output
    assert "in-sync" in status.stdout and "wave canary: verified for what runs" in status.stdout
    plan = prod.envman("plan", "prod", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "secret not compared: db.password" in plan.stdout
    sync = prod.envman("sync", "prod")
    assert sync.exit_code == 1
    assert "API_DB_PASSWORD is not set" in sync.stderr and "POSTGRES_PASSWORD is not set" in sync.stderr


@pytest.mark.synced
def test_a_secret_that_runs_is_never_shown_even_when_its_source_is_not_read(
    prod: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret built into what status and history show (an image tag): they read no secret
    source, so the sink learns the value from the release itself."""
    fast(prod)
    tag = "s3cr3t-tag-2471"
    monkeypatch.setenv("API_IMAGE_TAG", tag)
    prod.edit(
        "environments/prod.yaml",
        "      db.password: {env: API_DB_PASSWORD}\n",
        "      db.password: {env: API_DB_PASSWORD}\n      image.tag: {env: API_IMAGE_TAG}\n",
    )
    sync = prod.envman("sync", "prod", "--cluster", "prod-use1-canary")
    assert sync.exit_code == 0, sync.output
    running = client.AppsV1Api(kube(prod, "prod-use1-canary")).read_namespaced_deployment("api", "api")
    assert running.spec.template.spec.containers[0].image.endswith(f":{tag}")  # it runs
    monkeypatch.delenv("API_IMAGE_TAG")
    for args in (("status", "prod"), ("status", "prod", "-o", "json"), ("history", "prod", "--app", "api")):
        shown = prod.envman(*args, "--cluster", "prod-use1-canary")
        assert shown.exit_code == 0, shown.output
        assert tag not in shown.output and "<redacted>" in shown.output, (args, shown.output)
    history_json = prod.envman("history", "prod", "--app", "api", "-o", "json")
    assert tag not in history_json.output and "<redacted>" in history_json.output
    prod.edit("environments/prod.yaml", "      image.tag: {env: API_IMAGE_TAG}\n", "")  # no longer a secret
    assert prod.envman("sync", "prod", "--cluster", "prod-use1-canary").exit_code == 0
    ran = prod.envman("history", "prod", "--app", "api", "--cluster", "prod-use1-canary")
    assert tag not in ran.output and "<redacted>" in ran.output, ran.output  # the path stays recorded


def test_status_of_a_missing_deployment_says_missing(prod: Fleet) -> None:
    prod.apply("prod-use1")
    client.AppsV1Api(kube(prod, "prod-use1")).delete_namespaced_deployment("api", "api")
    status = prod.envman("status", "prod", "--cluster", "prod-use1")
    assert status.exit_code == 0, status.output
    api = next(line for line in status.stdout.splitlines() if re.match(r"prod-use1\s+api\s", line))
    assert re.search(r"\sunhealthy\s+missing\s", api), status.stdout
    with pytest.raises(ApiException):
        client.AppsV1Api(kube(prod, "prod-use1")).read_namespaced_deployment("api", "api")
