"""The expected failures of a promotion, all `EnvmanError`s (exit code 1)."""

from __future__ import annotations

from envman.kit.errors import EnvmanError


class PromoteError(EnvmanError):
    """The promotion cannot be computed or applied; nothing was changed."""


class GitError(PromoteError):
    """git failed, or the repository is not in a state a promotion can start from."""


class NotAGitRepository(GitError):
    """The repository root is not inside a git work tree."""


class DirtyTree(GitError):
    """The repository has uncommitted changes."""
