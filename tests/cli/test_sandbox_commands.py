"""`envman sandbox up/status/fail/heal/down` drive a real background sandbox process."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from envman.cli import cli
from envman.cli.sandbox_commands import argocd_hub
from envman.sandbox.argocd.hub import HubSettings
from envman.spec.loader import load_environment
from tests.conftest import ROOT, copy_example
from tests.repo_builder import write_repo


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--no-color", "-C", str(root), "sandbox", *args], catch_exceptions=False)


def test_sandbox_lifecycle(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    copy_example(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    try:
        up = run(root, "up", "staging")
        assert up.exit_code == 0, up.output
        kubeconfig = root / ".envman" / "sandbox" / "kubeconfig"
        assert up.stdout == f"export KUBECONFIG={kubeconfig}\n" and kubeconfig.is_file()
        assert (root / ".envman" / ".gitignore").read_text() == "*\n"
        untracked = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert (
            "environments/" in untracked and ".envman" not in untracked
        )  # the user's repository stays clean
        assert run(root, "up", "staging").stderr.startswith("sandbox reusing: staging, 2 clusters")
        assert run(root, "fail", "staging-euw1", "--app", "api").exit_code == 0
        failed = run(root, "fail", "staging-euw1", "--mode", "image-pull")
        assert failed.exit_code == 0 and "will fail (image-pull)" in failed.stderr
        status = run(root, "status").stdout
        assert "staging-euw1: 127.0.0.1:" in status
        assert "failing: all apps (image-pull), api (never-ready)" in status
        wrong = run(root, "fail", "staging-euw1", "--mode", "slow")
        assert wrong.exit_code == 1 and "'slow' is not one of 'never-ready', 'image-pull'" in wrong.stderr
        helped = run(root, "fail", "--help").stdout
        assert all(
            mode in helped
            for mode in ("never-ready", "image-pull", "crash-loop", "unschedulable", "job-fail")
        )
        assert run(root, "heal", "staging-euw1").exit_code == 0
        assert "failing" not in run(root, "status").stdout
        missing = run(root, "fail", "prod-use1")
        assert missing.exit_code == 1 and "the sandbox has no cluster 'prod-use1'" in missing.stderr
        typo = run(root, "heal", "staging-euw")
        assert typo.exit_code == 1 and "no cluster 'staging-euw'; did you mean 'staging-euw1'?" in typo.stderr
        helo = run(root, "fail", "staging-euw1", "--app", "wbe")
        assert helo.exit_code == 1
        assert "error: environment 'staging' has no app 'wbe'; did you mean 'web'?" in helo.stderr
        assert "failing" not in run(root, "status").stdout
    finally:
        assert run(root, "down").stderr == "sandbox stopped: staging\n"
    assert run(root, "status").stdout == "no sandbox is running\n"
    assert run(root, "down").stderr == "no sandbox was running\n"


def test_an_environment_on_the_argocd_engine_gets_a_hub(tmp_path: Path) -> None:
    """`sandbox up` reads rollout.engine / rollout.argocd / clusters.<name>.argocdName and asks
    the sandbox for the matching hub; none for helm."""
    text = """
    clusters:
      prod-use1: {region: us-east-1, context: use1-ctx, argocdName: use1}
      prod-euw1: {region: eu-west-1}
    apps:
      api: {chart: charts/app}
    rollout:
      engine: argocd
      argocd: {context: hub, namespace: gitops}
    """
    write_repo(
        tmp_path,
        {"environments/prod.yaml": text, "environments/helm.yaml": text.split("rollout:", maxsplit=1)[0]},
    )
    assert argocd_hub(load_environment(tmp_path, "helm")) is None
    assert argocd_hub(load_environment(tmp_path, "prod")) == HubSettings(
        context="hub", namespace="gitops", destinations={"use1": "use1-ctx", "prod-euw1": "prod-euw1"}
    )
    example = load_environment(ROOT, "prod-argocd")
    assert argocd_hub(example) == HubSettings(
        destinations={"argo-canary": "argo-canary", "argo-use1": "argo-use1", "argo-euw1": "argo-euw1"}
    )
