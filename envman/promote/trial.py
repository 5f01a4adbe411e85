"""Validate an edited environment file before it is written: the same loader and checks as
`envman validate`, with the edited text read in place of the file, which is never touched."""

from __future__ import annotations

from pathlib import Path

from envman.kit.errors import Problem, SpecError
from envman.plan.fleet import graph_problems
from envman.promote.errors import PromoteError
from envman.spec.loader import load_environments


class InvalidPromotion(PromoteError):
    """The promoted destination would not validate; nothing was written."""


def check_edit(root: Path, environment: str, file: str, text: str) -> None:
    """Raise `InvalidPromotion` with every problem when `file` (relative to `root`) holding
    `text` makes `environment` invalid."""
    problems = _problems(root, environment, {file: text})
    if problems:
        lines = "\n".join(str(p) for p in sorted(problems, key=str))
        raise InvalidPromotion(f"the promoted {file} would be invalid; nothing was changed:\n{lines}")


def _problems(root: Path, environment: str, overrides: dict[str, str]) -> list[Problem]:
    try:
        env = load_environments(root, [environment], overrides)[environment]
    except SpecError as exc:
        return list(exc.problems)
    return graph_problems(env)
