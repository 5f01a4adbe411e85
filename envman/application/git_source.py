"""Where Argo CD reads local charts: the repository's git remote at the commit envman syncs
(README, "Engines"). The plan step refuses a commit the remote does not have ("push first")
and a local chart with uncommitted changes (Argo CD would render the committed one);
`export` only warns of both.

A remote is known to have the commit when one of its refs (`git ls-remote`) points at it or
at a descendant this clone has, or, when the remote cannot be asked, when a remote-tracking
branch contains it; a local remote (a path or `file://` URL) is asked directly."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from envman.kit.errors import PlanError
from envman.plan.argocd.applications import GitSource
from envman.plan.desired import DesiredRelease
from envman.promote.errors import GitError
from envman.promote.gitops import Git
from envman.spec.checks import is_local_chart
from envman.spec.environment import Environment


def git_source(root: Path, repo_url: str | None) -> GitSource:
    """HEAD of the repository at `root`, and the URL Argo CD reads it from (`repo_url`, else
    the remote `origin`); a `PlanError` saying what is missing."""
    try:
        git = Git(root)
        commit = git.run("rev-parse", "HEAD")
    except GitError as exc:
        raise PlanError(
            f"local charts with the argocd engine are read by Argo CD from git, but {root}: {exc}"
        ) from exc
    prefix = git.run("rev-parse", "--show-prefix").rstrip("/")
    if repo_url is None:
        try:
            repo_url = _as_url(git.run("remote", "get-url", "origin"))
        except GitError as exc:
            raise PlanError(
                "local charts with the argocd engine need the git URL Argo CD reads them from: "
                "set rollout.argocd.repoURL, or add a remote `origin`"
            ) from exc
    return GitSource(repo_url, commit, prefix)


def local_charts(env: Environment, desired: Mapping[str, Mapping[str, DesiredRelease]]) -> list[str]:
    """The local charts (paths from the root) the desired releases use: what Argo CD reads from git."""
    found = {
        r.chart_spec for rs in desired.values() for r in rs.values() if is_local_chart(r.chart_spec, env)
    }
    return sorted(found)


def repository_commit(root: Path) -> str | None:
    """The git commit the repository is at (`-dirty` appended when files under the root
    differ from it), or None outside git (or before a first commit)."""
    try:
        return Git(root).described_head()
    except GitError:
        return None


def source_problems(root: Path, source: GitSource, charts: Sequence[str]) -> list[str]:
    """What keeps Argo CD from rendering `charts` (paths from `root`) as they are here: their
    uncommitted changes, a commit the remote does not have."""
    git = Git(root)
    problems = []
    status = git.run(
        "status", "--porcelain=v1", "--untracked-files=all", "--", *sorted(set(charts)), raw=True
    )
    changed = sorted({line[3:] for line in status.splitlines() if len(line) > 3})
    if changed:
        problems.append(
            f"uncommitted changes in {', '.join(changed)}: Argo CD renders the charts of commit "
            f"{source.commit[:12]}; commit them"
        )
    if not _on_remote(git, source.repo_url, source.commit):
        problems.append(f"commit {source.commit[:12]} is not on {source.repo_url}")
    return problems


def check_pushed(root: Path, source: GitSource, charts: Sequence[str]) -> None:
    """The plan step's check: `PlanError` ending in "push first" for any problem."""
    problems = source_problems(root, source, charts)
    if problems:
        raise PlanError("; ".join(problems) + ": Argo CD reads local charts from the remote: push first")


def _as_url(remote: str) -> str:
    """A remote given as an absolute path, as the `file://` URL Argo CD takes."""
    return Path(remote).as_uri() if remote.startswith("/") else remote


def _local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    return Path(url) if url.startswith("/") else None


def _on_remote(git: Git, url: str, commit: str) -> bool:
    local = _local_path(url)
    if local is not None:
        return _contains(local, commit)
    try:
        refs = {line.split()[0] for line in git.run("ls-remote", "--", url).splitlines() if line.strip()}
    except GitError:
        return bool(_quiet(git, "branch", "-r", "--contains", commit))
    if commit in refs:
        return True
    return any(_quiet(git, "merge-base", "--is-ancestor", commit, sha) is not None for sha in refs)


def _contains(repository: Path, commit: str) -> bool:
    """A local repository (bare or not) has a ref containing `commit`."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), "for-each-ref", "--contains", commit, "--count=1"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def _quiet(git: Git, *args: str) -> str | None:
    """git's output, None when it fails."""
    try:
        return git.run(*args)
    except GitError:
        return None
