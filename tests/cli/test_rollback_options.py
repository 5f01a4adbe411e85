"""`envman rollback`'s options, refused before any cluster is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envman.cli import cli
from tests.conftest import copy_example


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to-revision", "2", "--to-commit", "abcd"], "--to-revision and --to-commit exclude each other"),
        (
            ["--to-commit", "main"],
            "--to-commit 'main': give a commit hash or a prefix of at least 4 hex digits",
        ),
    ],
)
def test_a_bad_target_is_exit_1_before_anything_is_read(
    tmp_path: Path, args: list[str], message: str
) -> None:
    root = copy_example(tmp_path / "repo")
    kubeconfig = tmp_path / "nowhere"  # no cluster is reachable: the refusal comes first
    argv = [
        "--no-color",
        "-C",
        str(root),
        "--kubeconfig",
        str(kubeconfig),
        "rollback",
        "prod",
        "--app",
        "api",
    ]
    result = CliRunner().invoke(cli, [*argv, *args])
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
