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
    assert result.exit_code == 1
    assert result.stderr == "error: --base 'nope': no such commit in this repository\n"


@pytest.mark.parametrize("ref", ["--fork-point", "-h", "--output=/tmp/x"])
def test_a_ref_that_starts_with_a_dash_is_refused(repo: Path, ref: str) -> None:
    result = CliRunner().invoke(cli, ["--no-color", "-C", str(repo), "changed", "--base", ref])
    assert result.exit_code == 1
    assert result.stderr == f"error: --base '{ref}': a ref cannot start with '-'\n"


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """The envman root in `infra/` of a larger work tree, committed on main, then a branch."""
    top = tmp_path / "mono"
    copy_example(top / "infra")
    (top / "app.py").write_text("print('app')\n")
    init_repo(top)
    git(top, "checkout", "--quiet", "-b", "feature")
    return top


def test_a_root_in_a_subdirectory_compares_only_what_is_under_it(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (monorepo / "app.py").write_text("print('the app changed: no environment did')\n")
    git(monorepo, "commit", "--quiet", "--all", "--message", "app only")
    assert changed(monorepo / "infra") == {}
    edit(monorepo / "infra", "values/api/prod.yaml", "\n", "\nextraFlag: true\n")
    git(monorepo, "commit", "--quiet", "--all", "--message", "api values")
    found = changed(monorepo / "infra")
    assert list(found) == ["prod"] and found["prod"]["apps"] == ["api"]
    monkeypatch.chdir(monorepo / "infra" / "charts")  # no -C: the root found from inside it
    result = CliRunner().invoke(cli, ["changed", "--base", "main", "-o", "names"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "prod\n"


def test_a_root_that_did_not_exist_at_the_base_makes_every_environment_affected(monorepo: Path) -> None:
    git(monorepo, "checkout", "--quiet", "main")
    git(monorepo, "rm", "-r", "--quiet", "infra")
    git(monorepo, "commit", "--quiet", "--message", "no infra yet")
    git(monorepo, "checkout", "--quiet", "-b", "with-infra")
    copy_example(monorepo / "infra")
    git(monorepo, "add", "infra")
    git(monorepo, "commit", "--quiet", "--message", "infra")
    assert sorted(changed(monorepo / "infra")) == ["dev", "prod", "prod-argocd", "staging"]


def test_symlinks_out_of_the_root_are_never_followed(monorepo: Path) -> None:
    """Committed at the base: an absolute link, links out of the root through `..` (inside the
    work tree, and out of it), one used as a values file; a link inside the root is kept."""
    git(monorepo, "checkout", "--quiet", "main")
    infra = monorepo / "infra"
    (infra / "values" / "abs").symlink_to("/etc/passwd")
    (infra / "values" / "up").symlink_to("../../app.py")
    (infra / "values" / "far").symlink_to("../../../../../../../../etc")
    (monorepo / "elsewhere").symlink_to("/etc")  # outside the root entirely
    (infra / "values" / "api" / "same.yaml").symlink_to("prod.yaml")
    git(monorepo, "add", "--all")
    git(monorepo, "commit", "--quiet", "--message", "links")
    git(monorepo, "checkout", "--quiet", "-b", "links")
    assert changed(infra) == {}
    for name in ("abs", "up", "far"):
        (infra / "values" / name).unlink()
    edit(
        infra,
        "environments/prod.yaml",
        "valuesFiles: [values/api/prod.yaml]",
        "valuesFiles: [values/api/same.yaml]",
    )
    git(monorepo, "commit", "--quiet", "--all", "--message", "use the link")
    assert changed(infra) == {}  # the same values, through a link inside the root


def test_a_shallow_clone_without_the_merge_base_names_the_fix(monorepo: Path, tmp_path: Path) -> None:
    for n in range(3):
        (monorepo / "app.py").write_text(f"print({n})\n")
        git(monorepo, "commit", "--quiet", "--all", "--message", f"app {n}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth=1", "--no-single-branch", f"file://{monorepo}", str(clone))
    result = CliRunner().invoke(
        cli, ["--no-color", "-C", str(clone / "infra"), "changed", "--base", "origin/main"]
    )
    assert result.exit_code == 1
    assert "--base 'origin/main': this clone is shallow and lacks the merge base of origin/main and HEAD" in (
        result.stderr
    )
    assert "`fetch-depth: 0`" in result.stderr and "`git fetch --unshallow`" in result.stderr
    git(clone, "fetch", "--quiet", "--unshallow")
    fixed = CliRunner().invoke(cli, ["-C", str(clone / "infra"), "changed", "--base", "origin/main"])
    assert fixed.exit_code == 0, fixed.output


def test_names_lists_one_environment_per_line_for_shell_loops(repo: Path) -> None:
    template = next((repo / "charts" / "web" / "templates").glob("*.yaml"))
    template.write_text(template.read_text() + "\n# changed\n")
    result = CliRunner().invoke(cli, ["-C", str(repo), "changed", "--base", "main", "-o", "names"])
    assert result.stdout == "dev\nprod\nprod-argocd\nstaging\n"
