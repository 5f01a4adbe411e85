"""git through subprocess with argument lists (never a shell): the checks before a
promotion, its branch and its commit. The repository root may be a subdirectory of the
work tree; every command runs there and names paths relative to it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from envman.promote.errors import DirtyTree, GitError, NotAGitRepository


class Git:
    """The git work tree holding an envman repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self.toplevel = Path(self.run("rev-parse", "--show-toplevel"))
        except GitError as exc:
            raise NotAGitRepository(
                f"{root} is not in a git work tree; --no-commit edits the file without git"
            ) from exc

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        raw: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        detached: bool = False,
    ) -> str:
        """The output of `git ARGS` run in the repository root (or `cwd`), stripped unless
        `raw`; `env` adds variables; `detached` runs it in its own process group, so a
        Ctrl-C meant for envman does not stop it half-way. A failure raises `GitError`."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd or self.root,
                input=stdin,
                stdin=subprocess.DEVNULL if stdin is None else None,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, **env} if env else None,
                process_group=0 if detached else None,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from exc
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise GitError(f"git {args[0]} failed: {reason}")
        return done.stdout if raw else done.stdout.strip()

    def require_clean(self) -> None:
        """Refuse when files under the root differ from HEAD (tracked or untracked)."""
        status = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".", raw=True)
        dirty = sorted({entry[3:] for entry in status.split("\0") if len(entry) > 3})
        if dirty:
            raise DirtyTree(
                f"uncommitted changes in {', '.join(dirty)}; commit or stash them first (or use --no-commit)"
            )

    def described_head(self) -> str:
        """HEAD's full hash, `-dirty` appended when files under the root differ from it."""
        dirty = self.run("status", "--porcelain", "--untracked-files=no", "--", ".")
        return self.run("rev-parse", "HEAD") + ("-dirty" if dirty else "")

    def short_head(self) -> str:
        try:
            return self.run("rev-parse", "--short", "HEAD")
        except GitError as exc:
            raise GitError("the git repository has no commit yet") from exc

    def push(self, branch: str) -> None:
        self.run("push", "--set-upstream", "origin", branch)


def require_gh() -> str:
    """The GitHub CLI, or a `GitError` saying how to do without it."""
    gh = shutil.which("gh")
    if gh is None:
        raise GitError(
            "--open-pr needs the GitHub CLI `gh` on PATH; without it, run promote without "
            "--open-pr, then push the branch and open the pull request with the body it prints"
        )
    return gh


def open_pull_request(
    git: Git,
    branch: str,
    base: str | None,
    title: str,
    body: str,
    write: Callable[[Path, str], None],
) -> str:
    """Push `branch` and open a pull request with `gh`; what happened, for the user. The body
    file is written with `write` (the command's redacting sink)."""
    gh = require_gh()
    git.push(branch)
    with tempfile.TemporaryDirectory(prefix="envman-pr-") as tmp:
        body_file = Path(tmp) / "body.md"
        write(body_file, body)
        args = [gh, "pr", "create", "--title", title, "--body-file", str(body_file), "--head", branch]
        output = _run_gh([*args, "--base", base] if base else args, git.root).strip()
    return f"opened pull request {output.splitlines()[-1]}" if output else "opened a pull request"


def _run_gh(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run gh: {exc}") from exc
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise GitError(f"gh pr create failed (the branch is pushed): {reason}")
    return done.stdout
