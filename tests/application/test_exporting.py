"""`envman export ENV --to argocd`: one file of Applications per cluster, each valid under the
vendored Application CRD with unknown fields rejected, without any cluster; warnings for what
Argo CD could not read from git; secrets refused."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from envman.application.app import Application
from envman.application.exporting import export_argocd
from envman.cli import cli
from envman.kit.errors import SpecError
from tests.argocd_schema import assert_valid
from tests.conftest import copy_example

GIT = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]


def git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the example, committed and pushed to a bare `origin`."""
    root = copy_example(tmp_path / "repo")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "example")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    return root


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_every_cluster_gets_its_applications_valid_under_the_crd(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    exported = export_argocd(
        Application(repo, kubeconfig=tmp_path / "no-such-kubeconfig"), "prod-argocd", out
    )
    assert sorted(p.name for p in exported.files) == ["argo-canary.yaml", "argo-euw1.yaml", "argo-use1.yaml"]
    assert exported.warnings == []
    head = git(repo, "rev-parse", "HEAD")
    for path in exported.files:
        docs = documents(path)
        for doc in docs:
            assert_valid(doc)
        assert [d["metadata"]["labels"]["envman.io/app"] for d in docs] == [
            "platform-crds", "postgres", "api", "worker", "web",
        ]  # fmt: skip
        waves = [int(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for d in docs]
        assert waves == [0, 0, 1, 2, 2]
        assert {d["spec"]["source"]["targetRevision"] for d in docs} == {head}
        assert {d["spec"]["source"]["repoURL"] for d in docs} == {(tmp_path / "remote.git").as_uri()}
        assert {d["metadata"]["labels"]["envman.io/cluster"] for d in docs} == {path.stem}
    canary = {d["metadata"]["name"]: d for d in documents(out / "argo-canary.yaml")}
    api = canary["prod-argocd-argo-canary-api"]
    assert api["spec"]["source"]["path"] == "charts/api"
    assert api["spec"]["source"]["helm"]["valuesObject"]["replicaCount"] == 1
    assert api["metadata"]["labels"]["envman.io/wave"] == "canary"
    assert "operation" not in api and "automated" not in api["spec"]["syncPolicy"]


def test_unpushed_commits_and_uncommitted_charts_are_warnings(repo: Path, tmp_path: Path) -> None:
    (repo / "charts" / "api" / "values.yaml").write_text("replicaCount: 5\n")
    git(repo, "commit", "-qam", "not pushed")
    (repo / "charts" / "web" / "values.yaml").write_text("replicaCount: 7\n")
    exported = export_argocd(Application(repo), "prod-argocd", tmp_path / "out")
    assert len(exported.warnings) == 2
    assert exported.warnings[0].startswith("uncommitted changes in charts/web/values.yaml: Argo CD renders")
    assert "is not on file://" in exported.warnings[1]


def test_an_environment_with_secrets_is_refused_before_anything_is_written(
    repo: Path, tmp_path: Path
) -> None:
    with pytest.raises(SpecError) as caught:
        export_argocd(Application(repo), "prod", tmp_path / "out")
    assert [p.location.file if p.location else None for p in caught.value.problems] == [
        "environments/prod.yaml"
    ] * 2
    assert "Argo CD would store their values in the Application" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_the_command_prints_the_files_and_how_many(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "apps"
    result = CliRunner().invoke(
        cli, ["-C", str(repo), "export", "prod-argocd", "--to", "argocd", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(out / f"{c}.yaml") for c in ("argo-canary", "argo-use1", "argo-euw1")
    ]
    assert "wrote 15 Applications in 3 files" in result.stderr
