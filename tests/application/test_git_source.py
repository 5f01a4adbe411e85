"""Where Argo CD reads local charts: the remote's commit, checked before anything changes."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from envman.application.git_source import check_pushed, git_source, source_problems
from envman.kit.errors import PlanError
from tests.repo_builder import write_repo

GIT = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]


def git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_repo(tmp_path / "work" / "deploy", {"environments/prod.yaml": "clusters: {}\n"})
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "remote.git")], check=True)
    git(root.parent, "init", "-q", "-b", "main")  # the envman root is a subdirectory (a monorepo)
    git(root.parent, "add", "-A")
    git(root.parent, "commit", "-qm", "one")
    git(root.parent, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(root.parent, "push", "-q", "origin", "main")
    return root


def test_the_source_is_head_on_origin_at_the_roots_path(repo: Path, tmp_path: Path) -> None:
    source = git_source(repo, None)
    assert source.repo_url == (tmp_path / "remote.git").as_uri()
    assert source.commit == git(repo, "rev-parse", "HEAD")
    assert source.prefix == "deploy"
    assert source_problems(repo, source, ["charts/app"]) == []
    check_pushed(repo, source, ["charts/app"])


def test_an_unpushed_commit_is_refused_push_first(repo: Path) -> None:
    (repo / "charts" / "app" / "values.yaml").write_text("a: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    with pytest.raises(PlanError, match=r"commit [0-9a-f]{12} is not on file://.*: push first$"):
        check_pushed(repo, git_source(repo, None), ["charts/app"])


def test_uncommitted_chart_changes_are_refused(repo: Path) -> None:
    (repo / "charts" / "app" / "templates" / "new.yaml").write_text("kind: ConfigMap\n")
    with pytest.raises(PlanError, match=r"uncommitted changes in deploy/charts/app/templates/new.yaml"):
        check_pushed(repo, git_source(repo, None), ["charts/app"])


def test_a_remote_asked_with_ls_remote_has_a_commit_under_one_of_its_refs(repo: Path) -> None:
    old = git(repo, "rev-parse", "HEAD")
    (repo / "charts" / "app" / "values.yaml").write_text("a: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    git(repo, "push", "-q", "origin", "main")
    source = replace(git_source(repo, "../../remote.git"), commit=old)  # a URL git asks with ls-remote
    assert source_problems(repo, source, ["charts/app"]) == []
    (repo / "charts" / "app" / "values.yaml").write_text("a: 2\n")
    git(repo, "commit", "-qam", "three")
    unpushed = git_source(repo, "../../remote.git")
    assert source_problems(repo, unpushed, ["charts/app"]) == [
        f"commit {unpushed.commit[:12]} is not on ../../remote.git"
    ]


def test_without_a_remote_it_says_to_set_repo_url(repo: Path) -> None:
    git(repo, "remote", "remove", "origin")
    with pytest.raises(PlanError, match=r"set rollout.argocd.repoURL, or add a remote `origin`"):
        git_source(repo, None)
    assert (
        git_source(repo, "https://git.example.com/deploy.git").repo_url
        == "https://git.example.com/deploy.git"
    )


def test_outside_git_it_says_argo_cd_reads_charts_from_git(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "plain", {"environments/prod.yaml": "clusters: {}\n"})
    with pytest.raises(PlanError, match="local charts with the argocd engine are read by Argo CD from git"):
        git_source(root, None)
