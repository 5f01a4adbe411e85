"""A promotion's options and outcome, and the pair of environments it works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envman.kit.errors import Problem, SpecError
from envman.promote.errors import PromoteError
from envman.promote.evidence import Evidence
from envman.promote.promotion import Promotion
from envman.spec.environment import Environment
from envman.spec.loader import load_environments


@dataclass(frozen=True)
class Options:
    apps: tuple[str, ...] = ()
    commit: bool = True
    include_overrides: bool = False
    open_pr: bool = False
    verify: bool = True
    """Run git's pre-commit and commit-msg hooks on the promotion commit."""


@dataclass
class Outcome:
    promotion: Promotion
    branch: str | None = None
    commit: str | None = None
    base: str | None = None
    body: str = ""
    evidence: Evidence | None = None
    notices: list[str] = field(default_factory=list)


def load_pair(root: Path, source: str, destination: str) -> tuple[Environment, Environment]:
    """Both environments; unknown, abstract or identical ones are errors."""
    if source == destination:
        raise PromoteError(f"source and destination are the same environment ({source!r})")
    envs = load_environments(root, [source, destination])
    problems = [
        Problem(
            f"environment {name!r} is abstract (a base only); it cannot be promoted from or to",
            envs[name].key_at("abstract"),
        )
        for name in (source, destination)
        if envs[name].spec.abstract
    ]
    if problems:
        raise SpecError(problems)
    return envs[source], envs[destination]
