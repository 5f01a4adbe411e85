"""Putting a failed wave back: every release this run changed in it returns to the revision it
had before (`helm rollback --wait`), every fresh install is uninstalled. Where the wave's
verification record names a revision that ran the verified state (`verified_revision`), that
one is the target: a release that ran a never-verified state before this run (a crashed run's
change, a hand-made upgrade) goes back to what was verified, and so does a release the run
did not change but whose state the failing gates were verifying; without one, such a release
is left as it runs and the report says so.

Clusters go at most `maxParallel` at once; inside a cluster the dependency layers go in
reverse order (dependents first), a layer's releases at most `concurrency` at once. A release
this run uninstalled is not reinstalled (its history is gone): its rollback is `skipped`.
Rollbacks run to the end even when the run is being stopped. A failed rollback is recorded,
never hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from envman.kit.errors import EnvmanError
from envman.kit.limits import each_limited
from envman.plan.model import Action, ClusterPlan
from envman.rollout.context import Run
from envman.rollout.events import Phase, Scope
from envman.rollout.report import ReleaseReport, RollbackReport, WaveReport
from envman.rollout.results import ReleaseResult, RollbackResult, WaveResult

_SKIPPED_UNINSTALL = "an uninstalled release is not reinstalled; sync again to restore it"
_NEVER_VERIFIED = "no revision of it ran a state this wave verified: left as it runs"


def attempted(record: ReleaseReport) -> bool:
    """What a failed wave undoes: what this run changed."""
    return record.attempted


def unverified_or_attempted(wave: WaveReport) -> Callable[[ReleaseReport], bool]:
    """What a failed verification of `wave` undoes: what this run changed, and each release
    that runs a state the wave's gates never passed."""
    return lambda r: (
        r.attempted or ((r.plan.cluster, r.plan.app) in wave.plan.unverified and r.plan.live is not None)
    )


async def undo_wave(run: Run, wave: WaveReport, which: Callable[[ReleaseReport], bool] = attempted) -> None:
    """Roll back what this run changed in `wave` (the releases `which` picks); its result
    becomes `rolled-back` or `rollback-failed` (it stays as it is when every pick was left as
    it runs)."""
    await each_limited(
        wave.plan.clusters, wave.plan.settings.max_parallel, lambda c: _undo_cluster(run, wave, c, which)
    )
    rollbacks = [r.rollback.result for r in wave.releases if r.rollback is not None]
    if RollbackResult.FAILED in rollbacks:
        wave.result = WaveResult.ROLLBACK_FAILED
    elif RollbackResult.SUCCEEDED in rollbacks or not rollbacks:
        wave.result = WaveResult.ROLLED_BACK


async def _undo_cluster(
    run: Run, wave: WaveReport, cluster: ClusterPlan, which: Callable[[ReleaseReport], bool]
) -> None:
    for layer in reversed(cluster.layers):
        touched = [wave.record(r) for r in layer if which(wave.record(r))]
        await each_limited(touched, run.options.concurrency, lambda r: _undo_release(run, wave, r))


async def _undo_release(run: Run, wave: WaveReport, record: ReleaseReport) -> None:
    plan = record.plan
    if plan.action is Action.UNINSTALL:
        record.rollback = RollbackReport("none", RollbackResult.SKIPPED, detail=_SKIPPED_UNINSTALL)
        return
    if not record.attempted and plan.verified_revision is None:
        record.rollback = RollbackReport("none", RollbackResult.SKIPPED, detail=_NEVER_VERIFIED)
        return
    start = run.clock.now()
    run.emit(Scope.ROLLBACK, Phase.START, wave=wave.name, cluster=plan.cluster, name=plan.app)
    record.rollback = await _put_back(run, record)
    record.rollback.seconds = run.clock.now() - start
    ok = record.rollback.result is RollbackResult.SUCCEEDED
    record.result = ReleaseResult.ROLLED_BACK if ok else ReleaseResult.ROLLBACK_FAILED
    run.emit(
        Scope.ROLLBACK,
        Phase.FINISH,
        wave=wave.name,
        cluster=plan.cluster,
        name=plan.app,
        result=record.rollback.result.value,
        detail=record.rollback.detail,
        seconds=record.rollback.seconds,
    )


async def _put_back(run: Run, record: ReleaseReport) -> RollbackReport:
    plan = record.plan
    helm = run.ports.helm_for(plan.cluster)
    timeout = plan.desired.timeout_seconds if plan.desired else run.options.uninstall_timeout
    previous = _target(record)
    if previous is None:
        try:
            await helm.uninstall(plan.release, plan.namespace, timeout=timeout, wait=True)
        except EnvmanError as exc:
            return RollbackReport("uninstall", RollbackResult.FAILED, detail=run.redact(str(exc)))
        return RollbackReport("uninstall", RollbackResult.SUCCEEDED, detail="uninstalled the fresh install")
    try:
        revision = await helm.rollback(plan.release, plan.namespace, previous, timeout=timeout, wait=True)
    except EnvmanError as exc:
        return RollbackReport("rollback", RollbackResult.FAILED, previous, detail=run.redact(str(exc)))
    verified = " (the last verified one)" if previous == plan.verified_revision else ""
    detail = f"rolled back to revision {previous}{verified} (now revision {revision.revision})"
    return RollbackReport("rollback", RollbackResult.SUCCEEDED, previous, revision.revision, detail)


def _target(record: ReleaseReport) -> int | None:
    """The revision to go back to: the last verified one where known, else the pre-run one
    (None: a fresh install, uninstalled)."""
    plan = record.plan
    if plan.verified_revision is not None:
        return plan.verified_revision
    return plan.live.rollback_target if plan.live is not None else None
