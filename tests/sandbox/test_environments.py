"""Two environments' sandboxes at once, driven by the CLI as a user would: `up staging` and
`up prod` side by side in one kubeconfig, a sync of staging, `promote staging prod` with the
evidence read from staging's sandbox clusters, `status` of both, then `down` of one and all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envman.cli import cli
from envman.sandbox import manager
from tests.conftest import HELM_BINARIES, copy_example
from tests.promote.gitrepo import GIT_ENV, git, init_repo

SECRETS = {"API_DB_PASSWORD": "hunter2-api-secret", "POSTGRES_PASSWORD": "pg-s3cret-value"}


def envman(root: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--no-color", "-C", str(root), *args], catch_exceptions=False, env=GIT_ENV
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    helm = HELM_BINARIES["helm4"]
    if not helm.exists():
        pytest.skip(f"{helm} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(helm))
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for home in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(home, str(tmp_path / home.lower()))
    root = copy_example(tmp_path / "work" / "example")
    init_repo(tmp_path / "work")
    return root


def test_two_environments_sandboxes_at_once_promote_and_status(repo: Path) -> None:
    kubeconfig = repo / ".envman" / "sandbox" / "kubeconfig"
    try:
        staging = envman(repo, "sandbox", "up", "staging", "--ready-delay", "0.05")
        assert staging.exit_code == 0, staging.output
        staging_pid = manager.status(repo).environments[0].pid
        prod = envman(repo, "sandbox", "up", "prod", "--ready-delay", "0.05")
        assert prod.exit_code == 0, prod.output
        assert prod.stdout == staging.stdout == f"export KUBECONFIG={kubeconfig}\n"
        listed = envman(repo, "sandbox", "status").stdout
        assert f"staging: pid {staging_pid}\n" in listed and "  prod-use1-canary: 127.0.0.1:" in listed
        assert "  staging-euw1: 127.0.0.1:" in listed  # `up prod` left staging running
        options = ["--kubeconfig", str(kubeconfig)]
        synced = envman(repo, *options, "sync", "staging", "--yes")
        assert synced.exit_code == 0, synced.output
        assert git(repo, "status", "--porcelain") == ""  # the sandbox's state stays out of git

        promoted = envman(repo, *options, "promote", "staging", "prod", "--no-commit")
        assert promoted.exit_code == 0, promoted.output
        evidence = promoted.stdout.split("### Evidence from staging")[1]
        for cluster in ("staging-use1", "staging-euw1"):
            assert f"| {cluster} | web | 1.1.0 | 1 | deployed |" in evidence
        assert "unavailable" not in evidence and "warning" not in evidence
        assert 'tag: "2.8.0"' in (repo / "environments" / "prod.yaml").read_text()

        for environment, state, clusters in (
            ("staging", "in-sync", {"staging-use1", "staging-euw1"}),
            (
                "prod",
                "not-installed",
                {"prod-use1-canary", "prod-use1", "prod-euw1", "prod-euw1-b", "prod-apse1"},
            ),
        ):
            manager.reset_counters(repo)
            result = envman(repo, *options, "status", environment, "-o", "json")
            assert result.exit_code == 0, result.output
            rows = json.loads(result.stdout)["releases"]
            assert {r["cluster"] for r in rows} == clusters
            assert {r["state"] for r in rows} == {state}, rows
            asked = {c for c, counts in manager.counters(repo).items() if counts.get("total")}
            assert asked == clusters  # read from its own sandbox's clusters

        assert envman(repo, "sandbox", "down", "staging").stderr == "sandbox stopped: staging\n"
        assert [e.name for e in manager.status(repo).environments] == ["prod"]
        assert "staging-use1" not in kubeconfig.read_text() and "prod-apse1" in kubeconfig.read_text()
    finally:
        envman(repo, "sandbox", "down")
    assert not kubeconfig.exists() and manager.status(repo).environments == ()
