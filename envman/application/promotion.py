"""A whole promotion: load, compute, edit, validate, gather evidence, branch and commit,
write the PR body, open the pull request. Every step before the commit raises before
anything is changed; the commit changes nothing but the destination file, and a failure or
an interrupt while it is made leaves the repository exactly as it was (`promote.commit`)."""

from __future__ import annotations

from pathlib import Path

from envman.application.app import Application
from envman.application.engines import engine_for
from envman.kit.errors import EnvmanError
from envman.output import pr_body as prbody
from envman.plan.fleet import resolve
from envman.promote.commit import PromotionCommit
from envman.promote.errors import PromoteError
from envman.promote.evidence import Evidence, HelmEvidence, gather
from envman.promote.gitops import Git, open_pull_request, require_gh
from envman.promote.outcome import Options, Outcome, load_pair
from envman.promote.promotion import Promotion, plan_promotion
from envman.promote.signals import deferred_signals
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
    commit = _prepare_commit(Git(root), promotion, options) if options.commit else None
    text = _edited(root, dst, promotion, outcome)
    if evidence:
        outcome.evidence = await _gather(app, src, promotion)
    outcome.body = prbody.body(promotion, outcome.evidence)
    outcome.notices.append(f"promoted {len(promotion.changes)} change(s) into {dst.file}")
    if commit is None:
        (root / dst.file).write_text(text, encoding="utf-8")
        return outcome
    _commit(commit, promotion, text, outcome)
    if options.open_pr:
        _open_pr(app, commit.git, promotion, outcome)
    return outcome


def _prepare_commit(git: Git, promotion: Promotion, options: Options) -> PromotionCommit:
    """The promotion's commit, checked before anything is edited: a clean tree under the
    root, a branch that is free or holds only envman's own commit."""
    git.require_clean()
    branch = f"envman/promote-{promotion.source}-to-{promotion.destination}-{git.short_head()}"
    label = f"{promotion.source} -> {promotion.destination}"
    return PromotionCommit(git, promotion.file, branch, label, verify=options.verify)


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


def _commit(commit: PromotionCommit, promotion: Promotion, text: str, outcome: Outcome) -> None:
    made = commit.make(text, prbody.commit_message(promotion))
    outcome.branch, outcome.commit = made.branch, made.commit
    outcome.base = commit.head_ref.removeprefix("refs/heads/") if commit.head_ref else None
    replaced = f", replacing envman's earlier commit {made.replaced[:12]}" if made.replaced else ""
    outcome.notices.append(f"created branch {made.branch} with commit {made.commit[:12]}{replaced}")


def _open_pr(app: Application, git: Git, promotion: Promotion, outcome: Outcome) -> None:
    """Push the branch and open the pull request; an interrupt meanwhile is reported with
    what was already made, never as if nothing was."""
    assert outcome.branch is not None and outcome.commit is not None
    with deferred_signals() as signals:
        made = f"branch {outcome.branch} with commit {outcome.commit[:12]} is made"
        try:
            title = prbody.title(promotion)
            opened = open_pull_request(git, outcome.branch, outcome.base, title, outcome.body, app.write)
        except PromoteError as exc:
            raise PromoteError(f"{exc}\n{made}") from exc
    if signals.interrupted:
        raise PromoteError(
            f"interrupted ({signals.describe()}) while opening the pull request ({opened}); {made}"
        )
    outcome.notices.append(opened)


async def _gather(app: Application, src: Environment, promotion: Promotion) -> Evidence:
    """Evidence through the source's engine: helm, one driver per source cluster, or the
    Applications on its Argo CD hub."""
    try:
        source = HelmEvidence(await engine_for(app, resolve(src)).readers())
    except EnvmanError as exc:
        return Evidence.unavailable(src, str(exc))
    return await gather(src, promotion, source)
