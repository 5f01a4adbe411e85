"""A whole promotion: load, compute, edit, validate, branch and commit, gather evidence,
write the PR body, open the pull request. Every step before the write raises before
anything is changed; a failed commit returns to the starting branch."""

from __future__ import annotations

from pathlib import Path

from envman.application.app import Application
from envman.application.engines import engine_for
from envman.kit.errors import EnvmanError
from envman.output import pr_body as prbody
from envman.plan.fleet import resolve
from envman.promote.errors import GitError, PromoteError
from envman.promote.evidence import Evidence, HelmEvidence, gather
from envman.promote.gitops import Git, open_pull_request, require_gh
from envman.promote.outcome import Options, Outcome, load_pair
from envman.promote.promotion import Promotion, plan_promotion
from envman.promote.trial import check_edit
from envman.promote.yamledit import edit
from envman.spec.environment import Environment


async def promote(
    app: Application, source: str, destination: str, options: Options, *, evidence: bool = True
) -> Outcome:
    """Run the promotion; `evidence` False skips the evidence section."""
    root = app.root
    if options.open_pr and not options.commit:
        raise PromoteError("--open-pr needs the promotion commit; it cannot be used with --no-commit")
    if options.open_pr:
        require_gh()  # before anything is changed
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
    if evidence:
        outcome.evidence = await _gather(app, src, promotion)
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


async def _gather(app: Application, src: Environment, promotion: Promotion) -> Evidence:
    """Evidence through the source's engine: helm, one driver per source cluster, or the
    Applications on its Argo CD hub."""
    try:
        source = HelmEvidence(await engine_for(app, resolve(src)).readers())
    except EnvmanError as exc:
        return Evidence.unavailable(src, str(exc))
    return await gather(src, promotion, source)
