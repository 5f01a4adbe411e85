"""`envman changed --base REF` on a real git repository holding the example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from envman.cli import cli
from tests.conftest import copy_example
from tests.promote.gitrepo import git, init_repo

PROD = ["prod-use1-canary", "prod-use1", "prod-euw1", "prod-euw1-b", "prod-apse1"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    copy_example(root)
    init_repo(root)
    return root


def changed(root: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["-C", str(root), "changed", "--base", "main", "-o", "json", *args])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {e["name"]: e for e in doc["environments"]}


def edit(root: Path, path: str, old: str, new: str) -> None:
    target = root / path
    assert old in target.read_text(), (path, old)
    target.write_text(target.read_text().replace(old, new, 1))


def test_nothing_changed_affects_nothing(repo: Path) -> None:
    assert changed(repo) == {}
    result = CliRunner().invoke(cli, ["-C", str(repo), "changed", "--base", "main"])
    assert result.stdout.startswith("no environment is affected by the changes since ")


def test_a_values_file_affects_its_app_where_it_is_used(repo: Path) -> None:
    edit(repo, "values/api/prod.yaml", "\n", "\nextraFlag: true\n")
    found = changed(repo)
    assert list(found) == ["prod"]
    assert found["prod"]["apps"] == ["api"] and sorted(found["prod"]["clusters"]) == sorted(PROD)
    assert not found["prod"]["rollout"]


def test_a_local_chart_affects_every_environment_using_it(repo: Path) -> None:
    template = next((repo / "charts" / "web" / "templates").glob("*.yaml"))
    template.write_text(template.read_text() + "\n# a comment changes the chart's content\n")
    found = changed(repo)
    assert sorted(found) == ["dev", "prod", "prod-argocd", "staging"]
    assert all(e["apps"] == ["web"] for e in found.values())
    assert "prod-apse1" not in found["prod"]["clusters"]  # web is disabled there


def test_a_cluster_override_affects_that_cluster_only(repo: Path) -> None:
    edit(repo, "environments/prod.yaml", "values: {replicaCount: 1}", "values: {replicaCount: 2}")
    found = changed(repo)
    assert {(r["cluster"], r["app"]) for r in found["prod"]["releases"]} <= {
        ("prod-use1-canary", app) for app in ("worker", "web")
    }
    assert found["prod"]["releases"]


def test_a_base_affects_the_environments_extending_it_and_a_rollout_edit_the_whole(repo: Path) -> None:
    edit(repo, "environments/base.yaml", "concurrency: 4 ", "concurrency: 2 ")
    found = changed(repo)
    assert {name for name, e in found.items() if e["rollout"]} >= {"prod"}
    assert all(e["releases"] == [] for e in found.values())


def test_committed_changes_since_the_merge_base_count_too(repo: Path) -> None:
    git(repo, "checkout", "--quiet", "-b", "feature")
    edit(repo, "environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    git(repo, "commit", "--quiet", "--all", "--message", "bump api")
    found = changed(repo)
    assert list(found) == ["prod"] and found["prod"]["apps"] == ["api"]
    text = CliRunner().invoke(cli, ["-C", str(repo), "changed", "--base", "main"]).stdout
    assert text.strip() == "prod: apps api on 5 cluster(s)"


def test_an_unknown_ref_is_an_error(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["--no-color", "-C", str(repo), "changed", "--base", "nope"])
    assert result.exit_code == 1 and "git merge-base failed" in result.stderr


def test_names_lists_one_environment_per_line_for_shell_loops(repo: Path) -> None:
    template = next((repo / "charts" / "web" / "templates").glob("*.yaml"))
    template.write_text(template.read_text() + "\n# changed\n")
    result = CliRunner().invoke(cli, ["-C", str(repo), "changed", "--base", "main", "-o", "names"])
    assert result.stdout == "dev\nprod\nprod-argocd\nstaging\n"
