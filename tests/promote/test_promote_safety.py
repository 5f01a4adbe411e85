"""promote changes nothing but the destination file: a failing hook, SIGINT or SIGTERM (to
envman's pid, or to its whole process group) leave the work tree (untracked and ignored files
included), the index, HEAD and every branch exactly as they were; an existing promotion branch
with someone else's commit is never reset. Real git, real hooks, real signals to a real
`envman` process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_example
from tests.promote.gitrepo import GIT_ENV, git, init_repo, promote

ENVMAN = Path(sys.executable).parent / "envman"
DESTINATION = "infra/environments/prod.yaml"
WAIT_FOR_GO = """i=0
while [ ! -e "$MARK/go" ] && [ "$i" -lt 400 ]; do sleep 0.05; i=$((i+1)); done
"""


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A monorepo: the envman root in `infra/`, an app beside it, an ignored build file; then
    the user's work in progress: an unstaged edit, a staged edit, an untracked file."""
    top = tmp_path / "work"
    copy_example(top / "infra")
    (top / "app.py").write_text("print('v1')\n")
    (top / "lib.py").write_text("X = 1\n")
    (top / ".gitignore").write_text("*.log\n")
    init_repo(top)
    (top / "build.log").write_text("ignored output\n")
    (top / "app.py").write_text("print('v2, not committed yet')\n")
    (top / "lib.py").write_text("X = 2\n")
    git(top, "add", "lib.py")
    (top / "notes.txt").write_text("untracked\n")
    return top


def snapshot(top: Path) -> dict[str, Any]:
    """Everything a promotion could disturb: every file's bytes and mode (untracked and
    ignored ones too), the index, HEAD and every ref."""
    files: dict[str, Any] = {}
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top)
        if rel.parts[0] == ".git":
            continue
        if path.is_symlink():
            files[str(rel)] = ("link", str(path.readlink()))
        elif path.is_file():
            files[str(rel)] = ("file", path.read_bytes(), path.stat().st_mode)
        else:
            files[str(rel)] = ("dir",)
    head_ref = subprocess.run(
        ["git", "symbolic-ref", "--quiet", "HEAD"], cwd=top, capture_output=True, text=True, check=False
    ).stdout
    return {
        "files": files,
        "index": git(top, "ls-files", "--stage"),
        "staged": git(top, "diff", "--cached"),
        "head": (git(top, "rev-parse", "HEAD"), head_ref),
        "refs": git(top, "for-each-ref"),
    }


def hook(top: Path, name: str, script: str) -> None:
    path = top / ".git" / "hooks" / name
    path.write_text(f"#!/bin/sh\n{script}")
    path.chmod(0o755)


@pytest.mark.parametrize("detached", [False, True], ids=["on-a-branch", "detached-head"])
def test_a_failing_pre_commit_hook_changes_nothing_in_a_monorepo(monorepo: Path, detached: bool) -> None:
    hook(monorepo, "pre-commit", "echo 'lint: prod.yaml is not allowed today'\nexit 3\n")
    if detached:
        git(monorepo, "checkout", "--quiet", "--detach")
    before = snapshot(monorepo)

    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")

    assert result.exit_code == 1, result.output
    assert "the pre-commit hook failed (exit code 3; --no-verify skips it)" in result.stderr
    assert "lint: prod.yaml is not allowed today" in result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(monorepo) == before
    assert (monorepo / "app.py").read_text() == "print('v2, not committed yet')\n"


def test_a_failing_commit_msg_hook_changes_nothing(monorepo: Path) -> None:
    hook(monorepo, "commit-msg", 'grep -q "^JIRA-" "$1" || { echo "no ticket"; exit 1; }\n')
    before = snapshot(monorepo)

    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")

    assert result.exit_code == 1 and "the commit-msg hook failed" in result.stderr, result.output
    assert snapshot(monorepo) == before


def test_hooks_see_what_git_commit_shows_them_and_no_verify_skips_them(monorepo: Path) -> None:
    """The pre-commit hook sees the promotion staged alone (its index in GIT_INDEX_FILE) and
    the file written; the user's own staged edit is not part of the commit."""
    seen = monorepo.parent / "seen"
    hook(
        monorepo,
        "pre-commit",
        f'git diff --cached --name-only > "{seen}"\ngrep -c 2.8.0 {DESTINATION} >> "{seen}"\n',
    )
    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")
    assert result.exit_code == 0, result.output
    assert seen.read_text().split() == [DESTINATION, "2"]
    assert git(monorepo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [DESTINATION]

    git(monorepo, "checkout", "--quiet", "main")
    hook(monorepo, "pre-commit", "exit 1\n")
    git(monorepo, "branch", "-D", git(monorepo, "branch", "--list", "envman/*").split()[-1])
    skipped = promote(monorepo / "infra", "staging", "prod", "--no-evidence", "--no-verify")
    assert skipped.exit_code == 0, skipped.output


def test_success_changes_only_the_destination_file_and_moves_head_to_the_branch(monorepo: Path) -> None:
    before = snapshot(monorepo)
    status = git(monorepo, "status", "--porcelain")

    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")

    assert result.exit_code == 0, result.output
    after = snapshot(monorepo)
    changed = {
        p
        for p in before["files"].keys() | after["files"].keys()
        if before["files"].get(p) != after["files"].get(p)
    }
    assert changed == {DESTINATION}
    assert git(monorepo, "status", "--porcelain") == status  # app.py unstaged, lib.py staged, as before
    assert git(monorepo, "diff", "--cached") == before["staged"]
    branch = git(monorepo, "branch", "--show-current").strip()
    assert branch.startswith("envman/promote-staging-to-prod-")
    assert git(monorepo, "rev-parse", "HEAD~1") == before["head"][0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("to_group", [False, True], ids=["pid", "group"])
@pytest.mark.parametrize("during", ["hook", "switch"])
def test_an_interrupt_while_committing_changes_nothing(
    monorepo: Path, tmp_path: Path, sig: signal.Signals, to_group: bool, during: str
) -> None:
    """`hook`: while the pre-commit hook runs (the group's signal reaches it too); `switch`:
    after the branch was created, while HEAD is being moved to it."""
    mark = tmp_path / "mark"
    mark.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if during == "hook":
        hook(monorepo, "pre-commit", f'touch "$MARK/started"\n{WAIT_FOR_GO}')
    else:  # git itself pauses between `update-ref` and `symbolic-ref`
        real = shutil.which("git")
        (bin_dir / "git").write_text(
            '#!/bin/sh\nif [ "$1" = symbolic-ref ] && [ "$2" = -m ]; then\n'
            f'touch "$MARK/started"\n{WAIT_FOR_GO}fi\nexec {real} "$@"\n'
        )
        (bin_dir / "git").chmod(0o755)
    before = snapshot(monorepo)
    env = {**os.environ, **GIT_ENV, "MARK": str(mark), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    process = subprocess.Popen(
        [
            str(ENVMAN),
            "--no-color",
            "-C",
            str(monorepo / "infra"),
            "promote",
            "--no-evidence",
            "staging",
            "prod",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job is
    )
    try:
        deadline = time.monotonic() + 60
        while not (mark / "started").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
        if during == "switch":
            assert "refs/heads/envman/promote-staging-to-prod" in git(monorepo, "for-each-ref")
        (os.killpg if to_group else os.kill)(process.pid, sig)
        time.sleep(0.2)
        (mark / "go").touch()
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr
    assert f"interrupted ({sig.name})" in stderr and "nothing was changed" in stderr, stderr
    assert "aborted" not in stderr
    assert snapshot(monorepo) == before


def test_an_existing_branch_with_a_reviewers_commit_is_never_reset(monorepo: Path) -> None:
    assert promote(monorepo / "infra", "staging", "prod", "--no-evidence").exit_code == 0
    branch = git(monorepo, "branch", "--show-current").strip()
    (monorepo / DESTINATION).write_text((monorepo / DESTINATION).read_text() + "# reviewed\n")
    git(monorepo, "commit", "--quiet", "--message", "review: a note", "--", DESTINATION)
    reviewed = git(monorepo, "rev-parse", "--short", "HEAD").strip()
    git(monorepo, "checkout", "--quiet", "main")
    before = snapshot(monorepo)

    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")

    assert result.exit_code == 1
    assert (
        f"branch {branch} already exists with commits envman did not make ({reviewed}); "
        "it is left as it is" in result.stderr
    ), result.stderr
    assert snapshot(monorepo) == before


def test_an_envman_commit_amended_by_someone_is_theirs(monorepo: Path) -> None:
    assert promote(monorepo / "infra", "staging", "prod", "--no-evidence").exit_code == 0
    (monorepo / DESTINATION).write_text((monorepo / DESTINATION).read_text() + "# amended\n")
    git(monorepo, "commit", "--quiet", "--amend", "--no-edit", "--", DESTINATION)
    git(monorepo, "checkout", "--quiet", "main")
    before = snapshot(monorepo)
    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")
    assert result.exit_code == 1 and "commits envman did not make" in result.stderr
    assert snapshot(monorepo) == before


def test_a_branch_checked_out_in_another_work_tree_is_left_alone(monorepo: Path, tmp_path: Path) -> None:
    assert promote(monorepo / "infra", "staging", "prod", "--no-evidence").exit_code == 0
    branch = git(monorepo, "branch", "--show-current").strip()
    git(monorepo, "checkout", "--quiet", "main")
    git(monorepo, "worktree", "add", "--quiet", str(tmp_path / "review"), branch)
    before = snapshot(monorepo)
    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence")
    assert result.exit_code == 1
    assert f"branch {branch} already exists and is checked out in {tmp_path / 'review'}" in result.stderr
    assert snapshot(monorepo) == before


@pytest.mark.parametrize("gh_works", [True, False], ids=["opened", "gh-failed"])
def test_open_pr_pushes_the_branch_and_a_failure_says_what_is_made(
    monorepo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gh_works: bool
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(monorepo, "remote", "add", "origin", str(origin))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = 'echo "https://github.example/acme/infra/pull/7"' if gh_works else 'echo "HTTP 422" >&2; exit 1'
    (bin_dir / "gh").write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / "gh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    result = promote(monorepo / "infra", "staging", "prod", "--no-evidence", "--open-pr")

    branch = git(monorepo, "branch", "--show-current").strip()
    commit = git(monorepo, "rev-parse", "HEAD").strip()
    assert git(tmp_path, "--git-dir", str(origin), "rev-parse", branch).strip() == commit  # pushed
    if gh_works:
        assert result.exit_code == 0, result.output
        assert "opened pull request https://github.example/acme/infra/pull/7" in result.stderr
    else:
        assert result.exit_code == 1
        assert "gh pr create failed (the branch is pushed): HTTP 422" in result.stderr
        assert f"branch {branch} with commit {commit[:12]} is made" in result.stderr
