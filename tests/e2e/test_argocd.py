"""The argocd engine end to end: the example's prod-argocd (3 waves) synced through the
sandbox's emulated Argo CD hub, each step checked on the hub's Applications and in the
destination clusters (kubernetes API): a first sync, an empty plan after it, a failing wave
rolled back while the next never starts, and a resume after `heal`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from kubernetes import client, config

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.lock import LeaseLock, SyncHolder
from envman.adapters.target import ClusterTarget, KubeTarget
from envman.cli import cli
from envman.sandbox import kubeconfig
from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.testing import RunningSandbox, running_sandbox
from tests.argocd_schema import assert_valid
from tests.conftest import HELM_BINARIES, copy_example

pytestmark = pytest.mark.helm
CLUSTERS = ["argo-canary", "argo-use1", "argo-euw1"]
HUB = "argocd-hub"
GIT = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
Obj = dict[str, Any]


@dataclass
class ArgoFleet:
    root: Path
    sandbox: RunningSandbox
    kubeconfig: Path | None = None
    """What envman is given (default: the sandbox's, every cluster and the hub)."""

    def envman(self, *args: str) -> Result:
        config_file = self.kubeconfig or self.sandbox.kubeconfig
        argv = ["--no-color", "-C", str(self.root), "--kubeconfig", str(config_file), *args]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def git(self, *args: str) -> str:
        done = subprocess.run([*GIT, *args], cwd=self.root, check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def commit_and_push(self, message: str) -> str:
        self.git("commit", "-qam", message)
        self.git("push", "-q", "origin", "main")
        return self.git("rev-parse", "HEAD")

    def api(self, context: str) -> client.ApiClient:
        return config.new_client_from_config(str(self.sandbox.kubeconfig), context=context)

    def applications(self) -> dict[str, Obj]:
        found = client.CustomObjectsApi(self.api(HUB)).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications"
        )
        return {item["metadata"]["name"]: item for item in found["items"]}

    def image(self, cluster: str, name: str = "api", namespace: str = "api") -> str:
        deployment = client.AppsV1Api(self.api(cluster)).read_namespaced_deployment(name, namespace)
        return str(deployment.spec.template.spec.containers[0].image)


@pytest.fixture
def argo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArgoFleet]:
    """The example, committed and pushed to a bare `origin` (Argo CD's repoURL), quickened
    (short bake and timeouts), and a sandbox of its 3 clusters with the hub."""
    monkeypatch.setenv("ENVMAN_HELM", str(HELM_BINARIES["helm4"]))
    root = copy_example(tmp_path / "repo")
    for name in ("base.yaml", "prod-argocd.yaml"):
        path = root / "environments" / name
        text = re.sub(r"timeout: \d+[ms]", "timeout: 60s", path.read_text())
        path.write_text(text.replace("bake: 30s", "bake: 2s"))
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "example"]):
        subprocess.run([*GIT, *step], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "remote", "add", "origin", str(remote)], cwd=root, check=True)
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=root, check=True, capture_output=True)
    hub = HubSettings(context=HUB, destinations={c: c for c in CLUSTERS}, resync_seconds=1.0)
    with running_sandbox(CLUSTERS, hub=hub) as sandbox:
        yield ArgoFleet(root, sandbox)


def waves(path: Path) -> dict[str, str]:
    return {w["name"]: w["result"] for w in json.loads(path.read_text())["waves"]}


def app_state(app: Obj) -> tuple[str, str, str]:
    status = app.get("status") or {}
    return (
        str((status.get("operationState") or {}).get("phase")),
        str((status.get("sync") or {}).get("status")),
        str((status.get("health") or {}).get("status")),
    )


def test_a_staged_rollout_through_argo_cd(argo: ArgoFleet, tmp_path: Path) -> None:
    head = argo.git("rev-parse", "HEAD")
    # 1. The first sync: every release an Application on the hub, synced wave by wave.
    first = argo.envman("sync", "prod-argocd", "--report", str(tmp_path / "1.json"))
    assert first.exit_code == 0, first.output
    assert waves(tmp_path / "1.json") == {"canary": "succeeded", "us": "succeeded", "world": "succeeded"}
    apps = argo.applications()
    assert len(apps) == 15
    for name, app in apps.items():
        assert_valid(app)
        assert app_state(app) == ("Succeeded", "Synced", "Healthy"), name
        assert app["spec"]["source"]["targetRevision"] == head
        assert app["status"]["operationState"]["operation"]["initiatedBy"]["username"] == "envman"
        assert len(app["status"]["history"]) == 1
    for cluster in CLUSTERS:
        assert argo.image(cluster).endswith(":2.7.0")
    records = client.CoreV1Api(argo.api(HUB)).list_namespaced_config_map("argocd").items
    assert {r.metadata.name for r in records} >= {f"envman-verified-prod-argocd-{c}" for c in CLUSTERS}
    leases = client.CoordinationV1Api(argo.api(HUB)).list_namespaced_lease("argocd").items
    assert leases == []  # the lock lived on the hub and is gone
    for cluster in CLUSTERS:  # nothing of envman's own in the destinations: Argo CD applied
        assert client.CoordinationV1Api(argo.api(cluster)).list_namespaced_lease("default").items == []

    # 2. An empty plan after it, read from the hub alone.
    plan = argo.envman("plan", "prod-argocd", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output

    # 3. A bad release: the us wave fails (image-pull), is rolled back, world never starts.
    argo.root.joinpath("environments/prod-argocd.yaml").write_text(
        argo.root.joinpath("environments/prod-argocd.yaml")
        .read_text()
        .replace('tag: "2.7.0"', 'tag: "2.8.0"', 1)
    )
    argo.commit_and_push("api 2.8.0")
    argo.sandbox.fail("argo-use1", mode="image-pull")
    failed = argo.envman("sync", "prod-argocd", "--report", str(tmp_path / "2.json"))
    assert failed.exit_code == 3, failed.output
    assert waves(tmp_path / "2.json") == {
        "canary": "succeeded",
        "us": "rolled-back",
        "world": "not-started",
    }, (tmp_path / "2.json").read_text()
    report = json.loads((tmp_path / "2.json").read_text())
    (api,) = [r for c in report["waves"][1]["clusters"] for r in c["releases"] if r["app"] == "api"]
    assert api["result"] == "rolled-back"
    # Argo CD's Degraded health or the fail-fast watcher of the (readable) destination, first
    reason = (api["failure"] or {}).get("reason") or api["error"]
    pulling = (
        "ImagePull",
        "Back-off pulling image",
        "failed to pull and unpack image",
    )  # whichever the pod showed
    assert any(words in reason for words in pulling), json.dumps(api)
    apps = argo.applications()
    use1 = apps["prod-argocd-argo-use1-api"]
    assert use1["spec"]["source"]["helm"]["valuesObject"]["image"]["tag"] == "2.7.0"  # previous spec
    assert app_state(use1) == ("Succeeded", "Synced", "Healthy")
    assert (
        len(use1["status"]["history"]) == 3
    )  # Argo CD records the bad sync too (applied), then the rollback
    world = apps["prod-argocd-argo-euw1-api"]
    assert world["spec"]["source"]["helm"]["valuesObject"]["image"]["tag"] == "2.7.0"
    assert len(world["status"]["history"]) == 1  # never touched
    assert argo.image("argo-canary").endswith(":2.8.0")
    assert argo.image("argo-use1").endswith(":2.7.0")
    assert argo.image("argo-euw1").endswith(":2.7.0")

    # 4. Resume after heal: the canary is verified, us and world roll forward.
    argo.sandbox.heal("argo-use1")
    resumed = argo.envman("sync", "prod-argocd", "--report", str(tmp_path / "3.json"))
    assert resumed.exit_code == 0, resumed.output
    assert waves(tmp_path / "3.json") == {"canary": "unchanged", "us": "succeeded", "world": "succeeded"}
    for cluster in CLUSTERS:
        assert argo.image(cluster).endswith(":2.8.0")
    for app in argo.applications().values():
        assert app_state(app) == ("Succeeded", "Synced", "Healthy")
    assert argo.envman("plan", "prod-argocd", "--detailed-exitcode").exit_code == 0


def test_plan_status_diff_history_and_rollback_need_only_the_hub(argo: ArgoFleet, tmp_path: Path) -> None:
    """With a kubeconfig that reaches the hub alone (CI without destination credentials):
    plan, status, diff and history read the Applications; sync and rollback go through them."""
    assert argo.envman("sync", "prod-argocd").exit_code == 0
    hub_only = kubeconfig.write(tmp_path / "hub-only", {HUB: argo.sandbox.ports[HUB]})
    ci = ArgoFleet(argo.root, argo.sandbox, hub_only)
    assert ci.envman("plan", "prod-argocd", "--detailed-exitcode").exit_code == 0
    status = ci.envman("status", "prod-argocd", "-o", "json")
    assert status.exit_code == 0, status.output
    rows = json.loads(status.stdout)["releases"]
    assert {(r["status"], r["healthy"], r["state"]) for r in rows} == {("deployed", True, "in-sync")}
    assert {r["revision"] for r in rows} == {1}
    promoted = ci.envman("promote", "prod-argocd", "staging", "--no-commit", "-o", "json")
    assert promoted.exit_code == 0, promoted.output
    evidence = json.loads(promoted.stdout)["evidence"]["clusters"]  # what runs, from the hub
    assert {c["cluster"]: c["unavailable"] for c in evidence} == dict.fromkeys(CLUSTERS)
    assert {(r["app"], r["revision"]) for c in evidence for r in c["releases"]} >= {("api", 1)}
    argo.git("checkout", "--", "environments/staging.yaml")

    # The lock is a Lease in Argo CD's namespace on the hub: a second run fails fast naming
    # its holder, `unlock` removes a crashed run's.
    hub = ClusterTarget(HUB, KubeTarget(hub_only, HUB))
    LeaseLock(KubeClients(), [hub], "prod-argocd", namespace="argocd").acquire(
        SyncHolder("ci", "runner-7", 42)
    )
    held = ci.envman("sync", "prod-argocd")
    assert held.exit_code == 1 and "environment lock held by ci@runner-7 (pid 42)" in held.output
    unlocked = ci.envman("unlock", "prod-argocd")
    assert unlocked.stdout == "removed the lock held by argocd-hub: ci@runner-7 (pid 42)\n"

    path = argo.root / "environments" / "prod-argocd.yaml"
    path.write_text(path.read_text().replace('tag: "2.7.0"', 'tag: "2.8.0"', 1))
    assert ci.envman("plan", "prod-argocd", "--detailed-exitcode").exit_code == 2  # values go inline
    argo.git("commit", "-qam", "api 2.8.0")
    unpushed = ci.envman("plan", "prod-argocd")
    assert unpushed.exit_code == 1  # Argo CD could not read the charts of an unpushed commit
    assert "is not on file://" in unpushed.output and unpushed.output.rstrip().endswith("push first")
    argo.git("push", "-q", "origin", "main")
    assert ci.envman("plan", "prod-argocd", "--detailed-exitcode").exit_code == 2
    diff = ci.envman("diff", "prod-argocd", "--cluster", "argo-use1")
    assert diff.exit_code == 0, diff.output
    assert "# Application argocd/prod-argocd-argo-use1-api" in diff.stdout
    assert re.search(r"^-\s+tag: 2.7.0\n\+\s+tag: 2.8.0$", diff.stdout, re.MULTILINE), diff.stdout

    assert (
        ci.envman("sync", "prod-argocd").exit_code == 0
    )  # no destination to watch: Argo CD's health decides
    assert argo.image("argo-use1").endswith(":2.8.0")
    history = ci.envman("history", "prod-argocd", "--app", "api", "--cluster", "argo-use1", "-o", "json")
    revisions = json.loads(history.stdout)[0]["revisions"]
    assert [(r["revision"], r["status"]) for r in revisions] == [(1, "superseded"), (2, "deployed")]
    assert revisions[1]["commit"].startswith(argo.git("rev-parse", "HEAD"))

    back = ci.envman("rollback", "prod-argocd", "--app", "api", "--cluster", "argo-use1")
    assert back.exit_code == 0, back.output
    assert "rolled back from revision 2 to 1 (now revision 3)" in back.stdout
    assert argo.image("argo-use1").endswith(":2.7.0")
    assert argo.image("argo-euw1").endswith(":2.8.0")
    assert ci.envman("plan", "prod-argocd", "--detailed-exitcode").exit_code == 2  # the next sync re-applies
