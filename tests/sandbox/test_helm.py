"""Real helm 3 and helm 4 against the sandbox: the outcomes they give on a real cluster."""

from __future__ import annotations

import json
import time
from pathlib import Path

from envman.sandbox.testing import RunningSandbox
from tests.sandbox.conftest import ChartPath, Helm, deploy, history


def test_install_upgrade_rollback_uninstall(helm: Helm, chart: ChartPath) -> None:
    deploy(helm, "web", chart("webapp"))
    deploy(helm, "web", chart("webapp"), "--set", "image.tag=1.28,message=bye")
    helm.run("rollback", "web", "1", "-n", "apps", "--wait", "--timeout", "30s")
    revisions = history(helm, "web", "apps")
    assert [h["status"] for h in revisions] == ["superseded", "superseded", "deployed"]
    values = json.loads(helm.run("get", "values", "web", "-n", "apps", "-a", "-o", "json").stdout)
    assert values["image"]["tag"] == "1.27"
    helm.run("uninstall", "web", "-n", "apps")
    assert helm.run("status", "web", "-n", "apps", check=False).returncode != 0


def test_rollback_reuses_replicaset(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "web", chart("webapp"))
    deploy(helm, "web", chart("webapp"), "--set", "image.tag=1.28")
    helm.run("rollback", "web", "1", "-n", "apps", "--wait", "--timeout", "30s")
    api = sandbox.sandbox.clusters["alpha"].api
    sets = api.store.items("apps/replicasets", "apps")
    assert len(sets) == 2
    replicas = sorted(int(rs["spec"]["replicas"]) for rs in sets)
    assert replicas == [0, 2]


def test_hook_and_helm_test(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "web", chart("webapp"))
    api = sandbox.sandbox.clusters["alpha"].api
    job = api.store.get("batch/jobs", "apps", "web-migrate")
    assert job is not None
    assert any(c["type"] == "Complete" for c in job["status"]["conditions"])
    result = helm.run("test", "web", "-n", "apps", "--timeout", "30s")
    assert "Succeeded" in result.stdout


def test_statefulset_and_daemonset(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "db", chart("stateful"))
    deploy(helm, "db", chart("stateful"), "--set", "tag=17")
    api = sandbox.sandbox.clusters["alpha"].api
    sts = api.store.get("apps/statefulsets", "apps", "db-db")
    assert sts is not None
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    assert sts["status"]["readyReplicas"] == 2
    claims = [c["metadata"]["name"] for c in api.store.items("/persistentvolumeclaims", "apps")]
    assert claims == ["data-db-db-0", "data-db-db-1"]


def test_crd_and_custom_resource(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "widgets", chart("crds"))
    deploy(helm, "widgets", chart("crds"), "--set", "size=3")
    api = sandbox.sandbox.clusters["alpha"].api
    widget = api.store.get("example.com/widgets", "apps", "widgets")
    assert widget is not None
    assert widget["spec"]["size"] == 3
    helm.run("uninstall", "widgets", "-n", "apps")
    assert api.store.get("example.com/widgets", "apps", "widgets") is None


def test_failed_upgrade_rolls_back(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "web", chart("webapp"), "--set", "hook.enabled=false")
    sandbox.fail("alpha", "web")
    flag = "--atomic" if helm.major == 3 else "--rollback-on-failure"
    code = deploy(
        helm,
        "web",
        chart("webapp"),
        "--set",
        "hook.enabled=false,image.tag=bad",
        flag,
        check=False,
        timeout="3s",
    )
    assert code != 0
    revisions = history(helm, "web", "apps")
    assert [h["status"] for h in revisions] == ["superseded", "failed", "deployed"]
    assert revisions[-1]["description"] == "Rollback to 1"


def test_fail_then_heal(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    sandbox.fail("alpha")
    assert deploy(helm, "web", chart("webapp"), "--set", "hook.enabled=false", check=False, timeout="2s") != 0
    sandbox.heal("alpha")
    deploy(helm, "web", chart("webapp"), "--set", "hook.enabled=false,message=again")
    assert history(helm, "web", "apps")[-1]["status"] == "deployed"


def test_fail_other_app_is_unaffected(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    sandbox.fail("alpha", "other")
    deploy(helm, "web", chart("webapp"))


def test_clusters_are_isolated(helm: Helm, chart: ChartPath) -> None:
    deploy(helm, "web", chart("webapp"))
    helm.context = "beta"
    assert helm.run("status", "web", "-n", "apps", check=False).returncode != 0
    assert helm.run("list", "-A", "-q").stdout.strip() == ""


def test_server_dry_run_changes_nothing(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    helm.run("install", "web", chart("webapp"), "-n", "default", "--dry-run=server")
    api = sandbox.sandbox.clusters["alpha"].api
    assert api.store.items("apps/deployments") == []


def test_a_failing_hook_job_fails_the_upgrade(helm: Helm, chart: ChartPath, sandbox: RunningSandbox) -> None:
    deploy(helm, "web", chart("webapp"))
    sandbox.fail("alpha", "web", mode="job-fail")
    deploy(helm, "web", chart("webapp"), "--set", "message=same-hook")  # the hook's template is known
    started = time.monotonic()
    code = deploy(helm, "web", chart("webapp"), "--set", "image.tag=1.28", check=False, timeout="30s")
    assert code != 0 and time.monotonic() - started < 15  # the Job's failure, not the timeout
    assert history(helm, "web", "apps")[-1]["status"] == "failed"
    job = sandbox.sandbox.clusters["alpha"].api.store.get("batch/jobs", "apps", "web-migrate")
    assert job is not None and job["status"]["failed"] == 1
    assert [c["reason"] for c in job["status"]["conditions"]] == ["BackoffLimitExceeded"] * 2


def test_a_chart_with_an_unknown_field_fails_as_on_a_real_cluster(
    helm: Helm, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """helm 4's server-side apply asks for strict field validation: the API server refuses the
    misspelt field. helm 3's update asks for none: the field is dropped, never stored."""
    chart = tmp_path / "typo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: typo\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: typo}\nspec:\n  replicaz: 2\n"
        "  selector: {matchLabels: {app: typo}}\n  template:\n    metadata: {labels: {app: typo}}\n"
        '    spec: {containers: [{name: c, image: "nginx:1.27"}]}\n'
    )
    result = helm.run("install", "typo", str(chart), "-n", "default", check=False)
    stored = sandbox.sandbox.clusters["alpha"].api.store.get("apps/deployments", "default", "typo")
    if helm.major == 4:
        assert result.returncode == 1
        assert 'strict decoding error: unknown field "spec.replicaz"' in result.stderr
        assert stored is None
    else:
        assert result.returncode == 0, result.stderr
        assert stored is not None and "replicaz" not in stored["spec"]
