"""A whole promotion: load, compute, edit, validate, branch and commit, gather evidence,
write the PR body, open the pull request. Every step before the write raises before
anything is changed; a failed commit returns to the starting branch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from envman.kit.errors import EnvmanError, Problem, SpecError
from envman.promote import prbody
from envman.promote.errors import GitError, PromoteError
from envman.promote.evidence import Evidence, EvidenceSource, gather
from envman.promote.gitops import Git, open_pull_request
from envman.promote.promotion import Promotion, plan_promotion
from envman.promote.trial import check_edit
from envman.promote.yamledit import edit
from envman.spec.environment import Environment
from envman.spec.loader import load_environments

SourceFactory = Callable[[Environment], Awaitable[EvidenceSource]]
"""Builds the evidence source of the source environment (may raise an `EnvmanError`)."""


@dataclass(frozen=True)
class Options:
    apps: tuple[str, ...] = ()
    commit: bool = True
    include_overrides: bool = False
    open_pr: bool = False


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


def promote(
    root: Path, source: str, destination: str, options: Options, evidence: SourceFactory | None
) -> Outcome:
    """Run the promotion; `evidence` None skips the evidence section."""
    if options.open_pr and not options.commit:
        raise PromoteError("--open-pr needs the promotion commit; it cannot be used with --no-commit")
    src, dst = load_pair(root, source, destination)
    promotion = plan_promotion(src, dst, options.apps, include_overrides=options.include_overrides)
    outcome = Outcome(promotion)
    if not promotion.changes:
        outcome.notices.append(
            f"nothing to promote: {dst.name} already has {src.name}'s {_fields(promotion)}"
        )
        return outcome
    git = Git(root) if options.commit else None
    if git is not None:
        git.require_clean()
    text = _edited(root, dst, promotion, outcome)
    outcome.notices.append(f"promoted {len(promotion.changes)} change(s) into {dst.file}")
    if git is None:
        (root / dst.file).write_text(text, encoding="utf-8")
    else:
        _commit(git, root, promotion, text, outcome)
    if evidence is not None:
        outcome.evidence = asyncio.run(_gather(src, promotion, evidence))
    outcome.body = prbody.body(promotion, outcome.evidence)
    if git is not None and options.open_pr and outcome.branch:
        title = prbody.title(promotion)
        outcome.notices.append(open_pull_request(git, outcome.branch, outcome.base, title, outcome.body))
    return outcome


def _fields(promotion: Promotion) -> str:
    return "promoted fields of " + (", ".join(promotion.apps) or "no app")


def _edited(root: Path, dst: Environment, promotion: Promotion, outcome: Outcome) -> str:
    """The destination file with every change, validated; nothing is written."""
    try:
        original = (root / dst.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise PromoteError(f"cannot read {dst.file}: {exc}") from exc
    edited = edit(original, [(c.path, c.after) for c in promotion.changes], dst.file)
    if not edited.exact:
        outcome.notices.append(
            f"warning: ruamel.yaml reformatted more of {dst.file} than the promoted values"
        )
    check_edit(root, dst.name, dst.file, edited.text)
    return edited.text


def _commit(git: Git, root: Path, promotion: Promotion, text: str, outcome: Outcome) -> None:
    branch = f"envman/promote-{promotion.source}-to-{promotion.destination}-{git.short_head()}"
    base = git.current_branch()
    back_to = base or git.run("rev-parse", "HEAD")
    git.create_branch(branch)
    try:
        (root / promotion.file).write_text(text, encoding="utf-8")
        outcome.commit = git.commit(promotion.file, prbody.commit_message(promotion))
    except (GitError, OSError) as exc:
        git.undo_branch(branch, back_to)
        raise GitError(f"promotion not committed, back on {back_to}: {exc}") from exc
    outcome.branch, outcome.base = branch, base
    outcome.notices.append(f"created branch {branch} with commit {outcome.commit[:12]}")


async def _gather(src: Environment, promotion: Promotion, factory: SourceFactory) -> Evidence:
    try:
        source = await factory(src)
    except EnvmanError as exc:
        return Evidence.unavailable(src, str(exc))
    return await gather(src, promotion, source)
