"""Real git repositories in temporary directories, isolated from the user's git config."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from envman.cli import cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "envman tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "envman tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **GIT_ENV},
    )
    return done.stdout


def init_repo(work_tree: Path) -> str:
    """`git init` and commit everything in `work_tree`; the short hash of that commit."""
    git(work_tree, "init", "--quiet", "--initial-branch=main")
    git(work_tree, "add", "--all")
    git(work_tree, "commit", "--quiet", "--message", "initial")
    return git(work_tree, "rev-parse", "--short", "HEAD").strip()


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def promote(root: Path, *args: str, options: Sequence[str] = ()) -> Result:
    """`envman -C root [OPTIONS] promote ARGS` through click, git identity set."""
    argv = ["--no-color", "-C", str(root), *options, "promote", *args]
    return CliRunner().invoke(cli, argv, catch_exceptions=False, env=GIT_ENV)
