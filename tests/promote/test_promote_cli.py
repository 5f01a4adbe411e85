"""`envman promote` end to end on real git repositories: refusals, errors, JSON, no change,
and the bundled example's staging -> prod."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.promote.gitrepo import copy_repo, git, init_repo, promote

REPOS = Path(__file__).parent / "cases" / "repos"


def repo(tmp_path: Path, name: str = "overrides") -> Path:
    root = copy_repo(REPOS / name, tmp_path / "repo")
    init_repo(root)
    return root


def test_example_staging_to_prod_is_one_commit_touching_only_the_promoted_lines(tmp_path: Path) -> None:
    copy_example(tmp_path / "work" / "example")
    short = init_repo(tmp_path / "work")
    root = tmp_path / "work" / "example"  # the envman root is a subdirectory of the work tree

    result = promote(root, "staging", "prod", "--no-evidence")

    assert result.exit_code == 0, result.output
    branch = f"envman/promote-staging-to-prod-{short}"
    assert git(root, "branch", "--show-current").strip() == branch
    assert git(root, "rev-list", "--count", "main..HEAD").strip() == "1"
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    assert git(root, "log", "-1", "--format=%B").strip().splitlines() == [
        "Promote staging to prod: api, web, worker",
        "",
        "- api image.tag: 2.7.0 -> 2.8.0",
        "- worker image.tag: 2.7.0 -> 2.8.0",
        "- web image.tag: 3.1.4 -> 3.2.0",
        "",
        f"Envman-Promotion: staging -> prod (tree {tree})",
    ]
    assert git(root, "status", "--porcelain") == ""  # the index and the work tree follow the branch
    diff = git(root, "diff", "--unified=0", "main", "HEAD")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        '-      image: {tag: "2.7.0"}      # `envman promote staging prod` rewrites this line',
        '+      image: {tag: "2.8.0"}      # `envman promote staging prod` rewrites this line',
        '-      image: {tag: "2.7.0"}',
        '+      image: {tag: "2.8.0"}',
        '-      image: {tag: "3.1.4"}',
        '+      image: {tag: "3.2.0"}',
    ]
    assert git(root, "diff", "--name-only", "main", "HEAD").split() == ["example/environments/prod.yaml"]
    again = promote(root, "staging", "prod", "--no-evidence")
    assert again.exit_code == 0
    assert again.stdout.startswith("nothing to promote")


def test_no_change_exits_0_without_branch_or_commit(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert promote(root, "staging", "prod", "--no-evidence", "--no-commit").exit_code == 0
    git(root, "commit", "--quiet", "--all", "--message", "promoted by hand")
    head = git(root, "rev-parse", "HEAD")

    result = promote(root, "staging", "prod", "--no-evidence")

    assert result.exit_code == 0, result.output
    assert result.stdout == "nothing to promote: prod already has staging's promoted fields of api\n"
    assert "--include-overrides updates it" in result.stderr
    assert git(root, "branch", "--list").split() == ["*", "main"]
    assert git(root, "rev-parse", "HEAD") == head


def test_dirty_tree_is_refused_and_names_the_files(tmp_path: Path) -> None:
    root = repo(tmp_path)
    staging = root / "environments" / "staging.yaml"
    staging.write_text(staging.read_text() + "# edited\n", encoding="utf-8")
    (root / "notes.txt").write_text("untracked\n", encoding="utf-8")

    result = promote(root, "staging", "prod", "--no-evidence")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: uncommitted changes in environments/staging.yaml, notes.txt; commit or stash them first "
        "(or use --no-commit)\n"
    )
    assert git(root, "branch", "--list").split() == ["*", "main"]


def test_not_a_git_repository_then_no_commit_still_works(tmp_path: Path) -> None:
    root = copy_repo(REPOS / "overrides", tmp_path / "plain")

    refused = promote(root, "staging", "prod", "--no-evidence")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: {root} is not in a git work tree; --no-commit edits the file without git\n"
    )
    assert (root / "environments" / "prod.yaml").read_text() == (
        REPOS / "overrides/environments/prod.yaml"
    ).read_text()

    edited = promote(root, "staging", "prod", "--no-evidence", "--no-commit")
    assert edited.exit_code == 0, edited.output
    assert 'image: {tag: "2.8.0"}' in (root / "environments" / "prod.yaml").read_text()
    assert edited.stderr == "promoted 2 change(s) into environments/prod.yaml\n"


def test_invalid_result_leaves_the_file_untouched(tmp_path: Path) -> None:
    root = repo(tmp_path)
    prod = root / "environments" / "prod.yaml"
    # prod runs api from a local chart whose Chart.yaml says 1.0.0: staging's 1.1.0 cannot apply
    (root / "charts" / "api").mkdir(parents=True)
    (root / "charts" / "api" / "Chart.yaml").write_text("apiVersion: v2\nname: api\nversion: 1.0.0\n")
    prod.write_text(
        "extends: base\nclusters:\n  prod-a: {region: us-east-1}\napps:\n  api:\n    chart: charts/api\n"
    )
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "local chart in prod")
    before = prod.read_text()

    result = promote(root, "staging", "prod", "--no-evidence")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the promoted environments/prod.yaml would be invalid; nothing was changed:",
        "error: environments/prod.yaml:7:14: apps.api.version: '1.1.0' does not match version '1.0.0' "
        "of the local chart charts/api",
    ]
    assert prod.read_text() == before
    assert git(root, "branch", "--list").split() == ["*", "main"]


def test_errors_are_one_line_each(tmp_path: Path) -> None:
    root = repo(tmp_path, "inherited")
    cases = {
        ("stagign", "prod"): "error: environments/: unknown environment 'stagign'; did you mean 'staging'?\n",
        ("staging", "prod", "--app", "wbe"): "error: unknown app 'wbe'; did you mean 'web'?\n",
        ("base", "prod"): "error: environments/base.yaml:1:1: environment 'base' is abstract (a base only); "
        "it cannot be promoted from or to\n",
        ("prod", "prod"): "error: source and destination are the same environment ('prod')\n",
        ("staging", "prod", "--no-commit", "--open-pr"): "error: --open-pr needs the promotion commit; "
        "it cannot be used with --no-commit\n",
    }
    for args, message in cases.items():
        result = promote(root, *args)
        assert (result.exit_code, result.stderr) == (1, message), args


def test_app_in_one_environment_only(tmp_path: Path) -> None:
    root = repo(tmp_path, "inherited")
    staging = root / "environments" / "staging.yaml"
    staging.write_text(staging.read_text() + "  cache: {chart: stable/cache, version: 1.0.0}\n")
    git(root, "commit", "--quiet", "--all", "--message", "cache in staging")

    result = promote(root, "staging", "prod", "--app", "cache", "--app", "api")

    assert result.exit_code == 1
    assert result.stderr == "error: app 'cache' is only in staging, not in prod; it cannot be promoted\n"


def test_json_output(tmp_path: Path) -> None:
    root = repo(tmp_path)
    short = git(root, "rev-parse", "--short", "HEAD").strip()

    result = promote(root, "staging", "prod", "--no-evidence", "-o", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    commit = git(root, "rev-parse", "HEAD").strip()
    assert document["branch"] == f"envman/promote-staging-to-prod-{short}"
    assert document["commit"] == commit
    assert document["changes"] == [
        {
            "app": "api",
            "field": "version",
            "scope": None,
            "from": "1.0.0",
            "to": "1.1.0",
            "path": ["apps", "api", "version"],
            "previouslyDefinedIn": "environments/base.yaml",
        },
        {
            "app": "api",
            "field": "image.tag",
            "scope": None,
            "from": "2.7.0",
            "to": "2.8.0",
            "path": ["apps", "api", "values", "image", "tag"],
            "previouslyDefinedIn": "environments/prod.yaml",
        },
    ]
    assert len(document["warnings"]) == 2
    assert document["evidence"] is None
    assert document["body"] == (Path(__file__).parent / "cases" / "overrides" / "stdout.md").read_text()


def test_open_pr_without_gh_is_an_error_before_anything_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path)
    monkeypatch.setenv("PATH", str(Path(shutil.which("git") or "git").parent))
    head = git(root, "rev-parse", "HEAD")
    result = promote(root, "staging", "prod", "--no-evidence", "--open-pr")
    assert result.exit_code == 1, result.output
    assert "--open-pr needs the GitHub CLI `gh` on PATH" in result.stderr
    assert git(root, "rev-parse", "HEAD") == head and git(root, "status", "--porcelain") == ""


def test_a_repeated_promote_from_the_same_commit_replaces_its_branch(tmp_path: Path) -> None:
    root = repo(tmp_path)
    base = git(root, "branch", "--show-current").strip()
    first = promote(root, "staging", "prod", "--no-evidence")
    assert first.exit_code == 0, first.output
    branch = git(root, "branch", "--show-current").strip()
    git(root, "checkout", base)
    again = promote(root, "staging", "prod", "--no-evidence")
    assert again.exit_code == 0, again.output
    assert git(root, "branch", "--show-current").strip() == branch
    assert git(root, "rev-list", "--count", f"{base}..{branch}").strip() == "1"
