"""What `envman rollback` will do, decided from every selected cluster's release history
before anything changes (pure): the revision each cluster goes back to, grouped by wave.

The target is the revision before the current one, revision N (`--to-revision`), or the
newest revision synced from a commit (`--to-commit`, a hash or a prefix of one, matched
against the `envman.io/commit` label envman records on each revision: the same commit on
every cluster). A cluster where the release is not installed or lacks the target is a
problem; every problem is reported at once (`RollbackRefused`, exit 1) and nothing is
changed. A cluster already at its target is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from envman.kit.errors import EnvmanError
from envman.plan.cluster_state import COMMIT_LABEL, LiveRelease
from envman.plan.waves import WaveSettings

_HEX = re.compile(r"^[0-9a-f]{4,64}$")
_USABLE = frozenset({"deployed", "superseded"})
"""Statuses of a revision a commit's rollback may go to (not a failed or pending one)."""


class RollbackRefused(EnvmanError):
    """The rollback cannot be done on every selected cluster; nothing was changed."""


@dataclass(frozen=True)
class RollbackTarget:
    """One release to roll back on one cluster."""

    cluster: str
    app: str
    release: str
    namespace: str


@dataclass(frozen=True)
class Wanted:
    """Where to: the previous revision (neither set), a revision, or a commit (hash prefix)."""

    revision: int | None = None
    commit: str | None = None

    def __post_init__(self) -> None:
        if self.commit is not None and not _HEX.match(self.commit):
            raise RollbackRefused(
                f"--to-commit {self.commit!r}: give a commit hash or a prefix of at least 4 hex "
                "digits, as `envman history` shows it"
            )

    def __str__(self) -> str:
        if self.revision is not None:
            return f"revision {self.revision}"
        if self.commit is not None:
            return f"the newest revision synced from commit {self.commit}"
        return "the previous revision"


@dataclass(frozen=True)
class RollbackStep:
    """One cluster's release, from its current revision to `to_revision`."""

    target: RollbackTarget
    from_revision: int
    to_revision: int
    to: LiveRelease
    """The target revision as helm holds it (chart, version, commit, time)."""


@dataclass(frozen=True)
class WaveSteps:
    """The steps of one wave, run at most `max_parallel` at once."""

    name: str
    max_parallel: int
    steps: tuple[RollbackStep, ...]


@dataclass(frozen=True)
class RollbackPlan:
    """Every step, wave by wave in rollout order, and the clusters left as they are."""

    app: str
    wanted: Wanted
    waves: tuple[WaveSteps, ...]
    unchanged: tuple[tuple[RollbackTarget, int], ...] = ()
    """(target, its current revision) where that already is the target."""
    commit: str | None = None
    """The full commit hash `wanted.commit` resolved to."""
    steps: tuple[RollbackStep, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(s for w in self.waves for s in w.steps))


def choose(
    targets: Sequence[RollbackTarget],
    histories: Mapping[str, Sequence[LiveRelease]],
    wanted: Wanted,
    waves: Sequence[WaveSettings],
) -> RollbackPlan:
    """The plan for `targets` from each cluster's `histories` (every revision, any order);
    `RollbackRefused` naming every cluster that cannot go to the target."""
    app = targets[0].app if targets else ""
    if not targets:
        raise RollbackRefused("no cluster selected where the app is enabled; nothing to roll back")
    commit = _commit(wanted.commit, targets, histories) if wanted.commit is not None else None
    steps: dict[str, RollbackStep] = {}
    unchanged, problems = [], []
    for target in targets:
        revisions = sorted(histories.get(target.cluster, ()), key=lambda r: r.revision)
        found = _target(revisions, wanted, commit)
        if isinstance(found, str):
            problems.append(f"{target.cluster}: {found}")
        elif found.revision == revisions[-1].revision:
            unchanged.append((target, found.revision))
        else:
            steps[target.cluster] = RollbackStep(target, revisions[-1].revision, found.revision, found)
    if problems:
        raise RollbackRefused(
            f"cannot roll {app} back to {wanted} on every selected cluster; nothing was changed:\n"
            + "\n".join(problems)
        )
    grouped = tuple(
        WaveSteps(w.name, w.max_parallel, tuple(steps[c] for c in w.clusters if c in steps)) for w in waves
    )
    return RollbackPlan(app, wanted, tuple(w for w in grouped if w.steps), tuple(unchanged), commit)


def _target(revisions: Sequence[LiveRelease], wanted: Wanted, commit: str | None) -> LiveRelease | str:
    """The revision to go back to, or what is wrong."""
    if not revisions:
        return "the release is not installed (select the other clusters with --cluster)"
    current = revisions[-1].revision
    numbers = ", ".join(str(r.revision) for r in revisions)
    if wanted.revision is not None:
        match = [r for r in revisions if r.revision == wanted.revision]
        return match[0] if match else f"no revision {wanted.revision} (helm holds {numbers})"
    if commit is not None:
        usable = [r for r in revisions if r.labels.get(COMMIT_LABEL) == commit and r.status in _USABLE]
        if usable:
            return usable[-1]
        return f"no deployed or superseded revision synced from commit {commit[:12]} (helm holds {numbers})"
    earlier = [r for r in revisions if r.revision < current]
    return earlier[-1] if earlier else f"revision {current} has no previous revision"


def _commit(
    prefix: str, targets: Sequence[RollbackTarget], histories: Mapping[str, Sequence[LiveRelease]]
) -> str:
    """The one full commit hash starting with `prefix` among the selected releases' revisions."""
    known = {
        label
        for t in targets
        for r in histories.get(t.cluster, ())
        if (label := r.labels.get(COMMIT_LABEL)) and label.startswith(prefix) and not label.endswith("-dirty")
    }
    if not known:
        raise RollbackRefused(
            f"--to-commit {prefix}: no revision on the selected clusters was synced from a commit "
            "starting with it (`envman history` shows each revision's commit); nothing was changed"
        )
    if len(known) > 1:
        raise RollbackRefused(
            f"--to-commit {prefix} is ambiguous: {', '.join(sorted(c[:12] for c in known))}; give more "
            "digits; nothing was changed"
        )
    return known.pop()
