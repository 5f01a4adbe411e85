"""What `envman rollback` and `envman unlock` print."""

from __future__ import annotations

from collections.abc import Sequence

from envman.plan.cluster_state import COMMIT_LABEL, LiveRelease
from envman.rollout.app_rollback import AppRollback
from envman.rollout.results import RollbackResult
from envman.rollout.rollback_choice import RollbackPlan


def rollback_plan_lines(environment: str, plan: RollbackPlan) -> list[str]:
    """What the rollback will do, wave by wave, and what the next sync does about it."""
    clusters = len(plan.steps)
    lines = [f"rollback {environment}: {plan.app} to {plan.wanted} on {clusters} cluster(s), wave by wave:"]
    for wave in plan.waves:
        lines.append(f"  wave {wave.name} (at most {wave.max_parallel} at once):")
        lines += [
            f"    {s.target.cluster}: revision {s.from_revision} -> {s.to_revision} ({_revision(s.to)})"
            for s in wave.steps
        ]
    if plan.unchanged:
        there = ", ".join(f"{t.cluster} (revision {n})" for t, n in plan.unchanged)
        lines.append(f"  already there, left as they are: {there}")
    if not plan.steps:
        lines.append("  nothing to roll back")
    return lines


def reapply_note(environment: str, app: str) -> str:
    return (
        f"note: the next `envman sync {environment}` puts {app} back to what the spec says, unless "
        "the spec changes too (revert the commit that brought the bad change)"
    )


def rollback_lines(results: Sequence[AppRollback]) -> list[str]:
    return [f"{r.target.cluster}: {r.target.release} {r.result.value}: {r.detail}" for r in results]


def rollback_summary(environment: str, results: Sequence[AppRollback]) -> str:
    counts = {kind: sum(r.result is kind for r in results) for kind in RollbackResult}
    said = ", ".join(f"{n} {kind.value}" for kind, n in counts.items() if n)
    return f"rollback {environment}: {said or 'nothing to do'}"


def unlock_lines(environment: str, removed: Sequence[str]) -> list[str]:
    if not removed:
        return [f"{environment} is not locked"]
    return [f"removed the lock held by {holder}" for holder in removed]


def _revision(release: LiveRelease) -> str:
    commit = release.labels.get(COMMIT_LABEL)
    when = f", {release.updated:%Y-%m-%d %H:%M:%S}" if release.updated else ""
    synced = f", commit {commit[:12]}{'-dirty' if commit.endswith('-dirty') else ''}" if commit else ""
    return f"{release.chart_name} {release.chart_version}{synced}{when}"
