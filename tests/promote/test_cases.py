"""Promotions of the repositories under cases/repos, compared byte for byte with the expected
destination file and PR body of each case (cases/<case>/case.json names the repository and
the arguments). ENVMAN_REGEN_CASES=1 rewrites the expected files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.promote.gitrepo import copy_repo, git, init_repo, promote

CASES = Path(__file__).parent / "cases"
NAMES = sorted(p.parent.name for p in CASES.glob("*/case.json"))
REGEN = os.environ.get("ENVMAN_REGEN_CASES") == "1"


def expect(path: Path, actual: str) -> None:
    if REGEN:
        path.write_text(actual)
    assert actual == path.read_text()


@pytest.mark.parametrize("name", NAMES)
def test_case(name: str, tmp_path: Path) -> None:
    case = json.loads((CASES / name / "case.json").read_text())
    root = copy_repo(CASES / "repos" / case["repo"], tmp_path / "repo")
    short = init_repo(root)

    result = promote(root, *case["args"])

    assert result.exit_code == 0, result.output
    expect(CASES / name / "stdout.md", result.stdout)
    expect(CASES / name / "prod.yaml", (root / "environments" / "prod.yaml").read_text())
    assert git(root, "branch", "--show-current").strip() == f"envman/promote-staging-to-prod-{short}"
    assert git(root, "diff", "--name-only", "main", "HEAD").split() == ["environments/prod.yaml"]
    assert git(root, "rev-list", "--count", "main..HEAD").strip() == "1"
    assert git(root, "status", "--porcelain") == ""
