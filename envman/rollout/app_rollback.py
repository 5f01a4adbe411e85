"""`envman rollback ENV --app A [--cluster C] [--to-revision N]`: each selected release back
to revision N, or to the one before its current one (as `helm rollback` without a revision),
awaited and reported.

The target is read from the release's history first, so the report names both revisions
and a release without an earlier revision (or not installed) is `skipped`, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from envman.kit.errors import EnvmanError
from envman.kit.limits import each_limited
from envman.kit.redact import Redactor
from envman.rollout.events import Event, NullProgress, Phase, Scope
from envman.rollout.ports import Clock, HelmFor, Progress
from envman.rollout.results import RollbackResult


@dataclass(frozen=True)
class RollbackTarget:
    """One release to roll back on one cluster."""

    cluster: str
    app: str
    release: str
    namespace: str


@dataclass(frozen=True)
class AppRollback:
    """What happened to one target: `from_revision` -> `to_revision`, now `revision`."""

    target: RollbackTarget
    result: RollbackResult
    detail: str
    from_revision: int | None = None
    to_revision: int | None = None
    revision: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "cluster": self.target.cluster,
            "app": self.target.app,
            "release": self.target.release,
            "namespace": self.target.namespace,
            "result": self.result.value,
            "from_revision": self.from_revision,
            "to_revision": self.to_revision,
            "revision": self.revision,
            "detail": self.detail,
            "seconds": round(self.seconds, 1),
        }


async def rollback_app(
    targets: Sequence[RollbackTarget],
    helm_for: HelmFor,
    clock: Clock,
    *,
    timeout: float,
    max_parallel: int = 4,
    progress: Progress | None = None,
    redactor: Redactor | None = None,
    to_revision: int | None = None,
) -> list[AppRollback]:
    """Roll every target back (to `to_revision`, default the one before the current), at
    most `max_parallel` at once; results in target order. The CLI exits 1 when any result is
    `failed`."""
    sink = progress or NullProgress()
    redact = redactor if redactor is not None else Redactor()

    async def one(target: RollbackTarget) -> AppRollback:
        sink.event(Event(Scope.ROLLBACK, Phase.START, cluster=target.cluster, name=target.app))
        start = clock.now()
        outcome = await _rollback_one(target, helm_for, timeout, redact, to_revision)
        done = replace(outcome, seconds=clock.now() - start)
        sink.event(
            Event(
                Scope.ROLLBACK,
                Phase.FINISH,
                cluster=target.cluster,
                name=target.app,
                result=done.result.value,
                detail=done.detail,
                seconds=done.seconds,
            )
        )
        return done

    return await each_limited(targets, max_parallel, one)


async def _rollback_one(
    target: RollbackTarget, helm_for: HelmFor, timeout: float, redact: Redactor, to_revision: int | None
) -> AppRollback:
    helm = helm_for(target.cluster)
    try:
        history = await helm.history(target.release, target.namespace)
        if not history:
            return AppRollback(target, RollbackResult.SKIPPED, "not installed")
        current = history[-1].revision
        revisions = [r.revision for r in history]
        if to_revision is not None and to_revision not in revisions:
            known = ", ".join(str(r) for r in revisions)
            return AppRollback(
                target, RollbackResult.FAILED, f"no revision {to_revision} (helm holds {known})", current
            )
        if to_revision == current:
            return AppRollback(
                target, RollbackResult.SKIPPED, f"revision {current} is the current one", current
            )
        earlier = [r for r in revisions if r < current]
        if not earlier and to_revision is None:
            return AppRollback(
                target, RollbackResult.SKIPPED, f"revision {current} has no previous revision", current
            )
        previous = to_revision if to_revision is not None else max(earlier)
        now = await helm.rollback(target.release, target.namespace, previous, timeout=timeout, wait=True)
    except EnvmanError as exc:
        return AppRollback(target, RollbackResult.FAILED, redact.text(str(exc)))
    detail = f"rolled back from revision {current} to {previous} (now revision {now.revision})"
    return AppRollback(target, RollbackResult.SUCCEEDED, detail, current, previous, now.revision)
