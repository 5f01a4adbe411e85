"""A promotion's branch and commit, made so that nothing but the destination file ever changes.

The commit is built beside the user's work: its tree is HEAD's with the destination file's
new content, put together in a temporary index (`GIT_INDEX_FILE`, `hash-object`,
`update-index`, `write-tree`, `commit-tree`); the user's index is never read into it. git's
`pre-commit` and `commit-msg` hooks run as `git commit` runs them (the temporary index in
`GIT_INDEX_FILE`, the file written in the work tree; `--no-verify` skips them). Only then is
the branch created (`update-ref` against the value it was checked to have), HEAD switched to
it and the destination file's index entry updated: no checkout, other files untouched.

Everything from the first write to the last runs with SIGINT and SIGTERM deferred; a failure
or a signal there undoes each step done (the file's bytes and times, the index entry, HEAD,
the branch), so the repository is exactly as before.

A promotion commit carries the trailer `Envman-Promotion: SRC -> DST (tree <its tree>)`: a
commit whose trailer names its own tree is one envman made, unchanged. An existing promotion
branch is replaced only when every commit it adds to HEAD is such a commit.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from envman.promote.errors import GitError, PromoteError
from envman.promote.gitops import Git
from envman.promote.signals import Deferred, deferred_signals

TRAILER = "Envman-Promotion"
_OWN_TREE = re.compile(rf"^{TRAILER}: .* \(tree ([0-9a-f]{{40,64}})\)$", re.MULTILINE)
_HOOK_OUTPUT_LINES = 20


class BranchTaken(PromoteError):
    """The promotion branch exists and holds work envman did not make; it is left alone."""


class Interrupted(PromoteError):
    """SIGINT or SIGTERM arrived while the promotion was being committed; it was undone."""


@dataclass(frozen=True)
class Made:
    """The promotion's commit on its branch; `replaced`: the earlier envman commit the
    branch held."""

    branch: str
    commit: str
    replaced: str | None = None


def envman_made(tree: str, message: str) -> bool:
    """True for a commit envman made and nobody changed: its trailer names its own tree."""
    return any(match.group(1) == tree for match in _OWN_TREE.finditer(message))


class PromotionCommit:
    """Commit `file` (relative to the envman root) with new content on branch `branch`, from
    HEAD, and move the user's work onto it; `label` (`SRC -> DST`) goes into the trailer."""

    def __init__(self, git: Git, file: str, branch: str, label: str, *, verify: bool = True) -> None:
        self.git = git
        self.label = label
        self.file = file
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        self.verify = verify
        self.path = git.root / file
        self.top_path = git.run("rev-parse", "--show-prefix") + file
        self.head = git.run("rev-parse", "--verify", "HEAD^{commit}")
        self.head_ref = _symbolic_head(git)
        self.existing = self._existing_branch()

    def _existing_branch(self) -> str | None:
        """The branch's commit when it exists and may be replaced; `BranchTaken` otherwise."""
        try:
            tip = self.git.run("rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}")
        except GitError:
            return None
        log = self.git.run("log", "--format=%h%x1f%T%x1f%B%x1e", f"{self.head}..{tip}", raw=True)
        foreign = [
            fields[0]
            for record in log.split("\x1e")
            if len(fields := record.strip("\n").split("\x1f")) == 3 and not envman_made(fields[1], fields[2])
        ]
        if foreign:
            raise BranchTaken(
                f"branch {self.branch} already exists with commits envman did not make "
                f"({', '.join(foreign[:5])}); it is left as it is: merge or delete it, or promote "
                "from another commit"
            )
        where = _checked_out_at(self.git, self.ref)
        if where:
            raise BranchTaken(
                f"branch {self.branch} already exists and is checked out in {where}; "
                "switch that work tree to another branch first"
            )
        return tip

    def make(self, text: str, message: str) -> Made:
        """Commit `text` as the file's new content with `message` (the trailer appended)."""
        with deferred_signals() as signals, tempfile.TemporaryDirectory(prefix="envman-promote-") as tmp:
            undo = _Undo()
            try:
                commit = self._commit(text, message, Path(tmp), undo)
                _stop_if(signals)
                self._switch(commit, undo)
                _stop_if(signals)
            except BaseException as exc:
                left = undo.run()
                raise _failure(exc, signals, left) from exc
        return Made(self.branch, commit, self.existing)

    def _commit(self, text: str, message: str, tmp: Path, undo: _Undo) -> str:
        """The commit object (no ref points at it yet); the file is written for the hooks."""
        index = {"GIT_INDEX_FILE": str(tmp / "index")}
        top = self.git.toplevel
        blob = self.git.run("hash-object", "-w", "--stdin", f"--path={self.top_path}", stdin=text, cwd=top)
        self.git.run("read-tree", self.head, env=index, cwd=top, detached=True)
        mode = self.git.run("ls-files", "--stage", "--", self.top_path, env=index, cwd=top).split(" ")[0]
        cacheinfo = f"{mode or '100644'},{blob},{self.top_path}"
        self.git.run("update-index", "--add", "--cacheinfo", cacheinfo, env=index, cwd=top, detached=True)
        tree = self.git.run("write-tree", env=index, cwd=top, detached=True)
        undo.push(f"the content of {self.file}", _restorer(self.path))
        self.path.write_bytes(text.encode("utf-8"))
        message_file = tmp / "COMMIT_EDITMSG"
        message_file.write_text(f"{message.rstrip()}\n\n{TRAILER}: {self.label} (tree {tree})\n")
        if self.verify:
            self._hook("pre-commit", index)
            self._hook("commit-msg", index, str(message_file))
        return self.git.run(
            "commit-tree", tree, "-p", self.head, "-F", str(message_file), cwd=top, detached=True
        )

    def _switch(self, commit: str, undo: _Undo) -> None:
        """Point the branch at `commit`, HEAD at the branch, the file's index entry at its
        new content."""
        git = self.git
        git.run("update-ref", "-m", "envman promote", self.ref, commit, self.existing or "", detached=True)
        if self.existing:
            undo.push(
                f"branch {self.branch}",
                lambda: git.run("update-ref", self.ref, self.existing or "", commit, detached=True),
            )
        else:
            undo.push(
                f"branch {self.branch}", lambda: git.run("update-ref", "-d", self.ref, commit, detached=True)
            )
        git.run("symbolic-ref", "-m", "envman promote", "HEAD", self.ref, detached=True)
        undo.push("HEAD", self._restore_head)
        top = git.toplevel
        entry = git.run("ls-files", "--stage", "--", self.top_path, raw=True, cwd=top)
        git.run("update-index", "--", self.top_path, cwd=top, detached=True)
        undo.push(
            f"the index entry of {self.file}",
            lambda: git.run("update-index", "--index-info", stdin=entry, cwd=top, detached=True),
        )

    def _restore_head(self) -> None:
        if self.head_ref is not None:
            self.git.run("symbolic-ref", "HEAD", self.head_ref, detached=True)
        else:
            self.git.run("update-ref", "--no-deref", "HEAD", self.head, detached=True)

    def _hook(self, name: str, env: dict[str, str], *args: str) -> None:
        """Run git's hook `name` as `git commit` does; a failure raises `GitError` with its
        last lines of output."""
        hook = Path(self.git.run("rev-parse", "--git-path", f"hooks/{name}"))
        hook = hook if hook.is_absolute() else self.git.root / hook
        if not (hook.is_file() and os.access(hook, os.X_OK)):
            return
        try:
            done = subprocess.run(
                [str(hook), *args],
                cwd=self.git.toplevel,
                env={**os.environ, **env, "GIT_EDITOR": ":"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise GitError(f"cannot run the {name} hook {hook}: {exc}") from exc
        if done.returncode != 0:
            output = done.stdout.strip().splitlines()[-_HOOK_OUTPUT_LINES:]
            said = "".join(f"\n  {line}" for line in output)
            raise GitError(
                f"the {name} hook failed (exit code {done.returncode}; --no-verify skips it){said}"
            )


class _Undo:
    """The steps that put back what was done, newest first."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def push(self, what: str, step: Callable[[], object]) -> None:
        self._steps.append((what, step))

    def run(self) -> list[str]:
        """Undo everything; what could not be put back."""
        left = []
        for what, step in reversed(self._steps):
            try:
                step()
            except (GitError, OSError) as exc:
                left.append(f"{what} ({exc})")
        self._steps.clear()
        return left


def _restorer(path: Path) -> Callable[[], None]:
    """Puts `path`'s current bytes, mode and times back."""
    content, stat = path.read_bytes(), path.stat()

    def restore() -> None:
        path.write_bytes(content)
        path.chmod(stat.st_mode)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    return restore


def _stop_if(signals: Deferred) -> None:
    if signals.interrupted:
        raise Interrupted(f"interrupted ({signals.describe()})")


def _failure(exc: BaseException, signals: Deferred, left: list[str]) -> PromoteError:
    """The error to report once the steps are undone: an interrupt wins over what it broke."""
    if signals.interrupted:
        what = f"interrupted ({signals.describe()}) while committing the promotion"
    elif isinstance(exc, PromoteError):
        what = str(exc)
    else:
        what = f"promotion not committed: {exc!r}"
    if left:
        return PromoteError(f"{what}; could not put back: {'; '.join(left)}")
    kind = Interrupted if signals.interrupted else PromoteError
    return kind(f"{what}\nnothing was changed: work tree, index, HEAD and branches are as before")


def _symbolic_head(git: Git) -> str | None:
    try:
        return git.run("symbolic-ref", "--quiet", "HEAD")
    except GitError:
        return None


def _checked_out_at(git: Git, ref: str) -> str | None:
    """The work tree that has `ref` checked out, if any."""
    path = None
    for line in git.run("worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line == f"branch {ref}":
            return path
    return None
