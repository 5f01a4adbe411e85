"""`envman rollback ENV --app A`: the steps of a `RollbackPlan` (`rollback_choice`), wave by
wave in rollout order, at most the wave's `maxParallel` clusters at once, each `helm
rollback` awaited; the first wave with a failed step is the last (later ones are
`not-started`), and so is the wave running when the run is stopped (SIGINT/SIGTERM)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from envman.kit.errors import EXIT_ERROR, EXIT_OK, EXIT_ROLLOUT_FAILED, EnvmanError
from envman.kit.limits import each_limited
from envman.kit.redact import Redactor
from envman.rollout.events import Event, NullProgress, Phase, Scope
from envman.rollout.ports import Clock, HelmFor, Progress
from envman.rollout.results import RollbackResult
from envman.rollout.rollback_choice import RollbackPlan, RollbackStep, RollbackTarget


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
    wave: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "cluster": self.target.cluster,
            "app": self.target.app,
            "release": self.target.release,
            "namespace": self.target.namespace,
            "wave": self.wave,
            "result": self.result.value,
            "from_revision": self.from_revision,
            "to_revision": self.to_revision,
            "revision": self.revision,
            "detail": self.detail,
            "seconds": round(self.seconds, 1),
        }


def exit_code(results: Sequence[AppRollback]) -> int:
    """3 when a rollback failed (others may have changed), 1 when stopped before the end, else 0."""
    if any(r.result is RollbackResult.FAILED for r in results):
        return EXIT_ROLLOUT_FAILED
    if any(r.result is RollbackResult.NOT_STARTED for r in results):
        return EXIT_ERROR
    return EXIT_OK


async def rollback_app(
    plan: RollbackPlan,
    helm_for: HelmFor,
    clock: Clock,
    *,
    timeout: float,
    progress: Progress | None = None,
    redactor: Redactor | None = None,
    stop: asyncio.Event | None = None,
) -> list[AppRollback]:
    """Run `plan`: the clusters already at their target first (`skipped`), then every step
    in wave order."""
    sink = progress or NullProgress()
    redact = redactor if redactor is not None else Redactor()
    stopped = stop or asyncio.Event()
    wave_of = {s.target.cluster: w.name for w in plan.waves for s in w.steps}
    results = [
        AppRollback(target, RollbackResult.SKIPPED, f"already at revision {n}", n, n, n)
        for target, n in plan.unchanged
    ]

    async def one(step: RollbackStep) -> AppRollback:
        wave = wave_of[step.target.cluster]
        if stopped.is_set():
            return _not_started(step, wave, "interrupted before it started")
        target = step.target
        sink.event(Event(Scope.ROLLBACK, Phase.START, cluster=target.cluster, name=target.app))
        start = clock.now()
        outcome = await _rollback_one(step, helm_for, timeout, redact)
        done = replace(outcome, seconds=clock.now() - start, wave=wave)
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

    failed: str | None = None
    for wave in plan.waves:
        if failed is not None:
            results += [_not_started(s, wave.name, f"wave {failed} failed first") for s in wave.steps]
            continue
        done = await each_limited(wave.steps, wave.max_parallel, one)
        results += done
        if any(r.result is RollbackResult.FAILED for r in done):
            failed = wave.name
    return results


def _not_started(step: RollbackStep, wave: str, why: str) -> AppRollback:
    return AppRollback(
        step.target, RollbackResult.NOT_STARTED, why, step.from_revision, step.to_revision, wave=wave
    )


async def _rollback_one(
    step: RollbackStep, helm_for: HelmFor, timeout: float, redact: Redactor
) -> AppRollback:
    target = step.target
    try:
        now = await helm_for(target.cluster).rollback(
            target.release, target.namespace, step.to_revision, timeout=timeout, wait=True
        )
    except EnvmanError as exc:
        return AppRollback(
            target, RollbackResult.FAILED, redact.text(str(exc)), step.from_revision, step.to_revision
        )
    detail = (
        f"rolled back from revision {step.from_revision} to {step.to_revision} (now revision {now.revision})"
    )
    return AppRollback(
        target, RollbackResult.SUCCEEDED, detail, step.from_revision, step.to_revision, now.revision
    )
