"""Syncing a wave's clusters: at most `maxParallel` clusters at once; in a cluster, the
dependency layers in order and the changed releases of a layer at most `concurrency` at once.

The first failure stops new work in the wave: releases and clusters not started yet stay
`not-started`, helm calls in flight finish. A stopped run starts nothing new either.
"""

from __future__ import annotations

from envman.kit.errors import EnvmanError, HelmError
from envman.kit.limits import each_limited
from envman.plan.cluster_state import COMMIT_LABEL, DIGEST_LABEL, STATE_LABEL, managed_labels, secret_labels
from envman.plan.drift import MODIFIED
from envman.plan.model import Action, ClusterPlan, ReleasePlan
from envman.rollout.context import Cancelled, FirstFailure, Run
from envman.rollout.events import Phase, Scope
from envman.rollout.ports import PENDING_STATUSES, ReleaseRevision
from envman.rollout.report import ReleaseReport, WaveReport
from envman.rollout.results import ReleaseResult
from envman.rollout.watched_helm import WorkloadFailed, watched


async def sync_clusters(run: Run, wave: WaveReport, state: FirstFailure) -> None:
    """Sync every changed cluster of `wave`; a failure is recorded in `state`."""
    changed = [c for c in wave.plan.clusters if c.changed]
    await each_limited(changed, wave.plan.settings.max_parallel, lambda c: _sync_cluster(run, wave, c, state))


async def _sync_cluster(run: Run, wave: WaveReport, cluster: ClusterPlan, state: FirstFailure) -> None:
    if state.failed or run.stopped:
        return
    start = run.clock.now()
    run.emit(Scope.CLUSTER, Phase.START, wave=wave.name, cluster=cluster.name)
    for layer in cluster.layers:
        if state.failed or run.stopped:
            break
        changed = [wave.record(r) for r in layer if r.changed]
        await each_limited(changed, run.options.concurrency, lambda r: _sync_release(run, wave, r, state))
    result = _cluster_result([wave.record(r) for r in cluster.releases if r.changed])
    seconds = run.clock.now() - start
    run.emit(
        Scope.CLUSTER, Phase.FINISH, wave=wave.name, cluster=cluster.name, result=result, seconds=seconds
    )


async def _sync_release(run: Run, wave: WaveReport, record: ReleaseReport, state: FirstFailure) -> None:
    if state.failed or run.stopped:
        return
    plan = record.plan
    record.attempted = True
    start = run.clock.now()
    run.emit(
        Scope.RELEASE,
        Phase.START,
        wave=wave.name,
        cluster=plan.cluster,
        name=plan.app,
        detail=plan.action.value,
        limit=plan.desired.timeout_seconds if plan.desired else run.options.uninstall_timeout,
    )
    try:
        revision = await run.unless_cancelled(_apply(run, wave.name, plan))
    except Cancelled as exc:
        record.result = ReleaseResult.CANCELLED
        record.error = f"{plan.action.value} {exc}"
    except EnvmanError as exc:
        _failed(run, record, exc)
        state.fail(f"{plan.action.value} of {plan.app} on {plan.cluster} failed: {run.redact(_reason(exc))}")
    else:
        record.result = ReleaseResult.SUCCEEDED
        record.revision = revision.revision if revision else None
    record.seconds = run.clock.now() - start
    run.emit(
        Scope.RELEASE,
        Phase.FINISH,
        wave=wave.name,
        cluster=plan.cluster,
        name=plan.app,
        result=record.result.value,
        detail=record.error or _revision_text(record),
        seconds=record.seconds,
    )


def _reason(exc: EnvmanError) -> str:
    """Why a release failed, without repeating which: the pod, container, reason and message
    fail fast saw, or helm's own error line."""
    if isinstance(exc, WorkloadFailed):
        return str(exc.failure)
    if isinstance(exc, HelmError) and exc.reason:
        return f"helm: {exc.reason}"
    return str(exc)


def _failed(run: Run, record: ReleaseReport, exc: EnvmanError) -> None:
    record.result = ReleaseResult.FAILED
    record.error = run.redact(str(exc))
    if isinstance(exc, WorkloadFailed):
        record.failure = exc.failure
    if isinstance(exc, HelmError) and exc.output:
        record.helm_output = run.redact(exc.output)


async def _apply(run: Run, wave: str, plan: ReleasePlan) -> ReleaseRevision | None:
    helm = run.ports.helm_for(plan.cluster)
    if plan.action is Action.UNINSTALL:
        await helm.uninstall(plan.release, plan.namespace, timeout=run.options.uninstall_timeout, wait=True)
        return None
    desired = plan.desired
    assert desired is not None, "an install or upgrade has a desired release"
    upgrade = helm.upgrade_install(
        plan.release,
        plan.namespace,
        desired.chart,
        desired.values,
        timeout=desired.timeout_seconds,
        wait=True,
        labels=release_labels(run.environment, plan, run.options.commit),
        recover=plan.live is not None and plan.live.status in PENDING_STATUSES,
        force_conflicts=any(d.reason == MODIFIED for d in plan.drift),
    )
    return await watched(run, wave, plan, upgrade)


def release_labels(environment: str, plan: ReleasePlan, commit: str | None = None) -> dict[str, str]:
    """The release's labels: envman's, its secret value paths, the content digest of its
    chart, the digest of its desired state, the git commit it was synced from."""
    labels = managed_labels(environment, plan.app)
    if commit is not None:
        labels[COMMIT_LABEL] = commit
    if plan.digest is not None:
        labels[STATE_LABEL] = plan.digest
    if plan.desired is not None:
        labels.update(secret_labels(plan.desired.secret_paths))
        if plan.desired.chart_digest is not None:
            labels[DIGEST_LABEL] = plan.desired.chart_digest
    return labels


def _cluster_result(records: list[ReleaseReport]) -> str:
    results = {r.result for r in records}
    if ReleaseResult.FAILED in results:
        return "failed"
    if ReleaseResult.CANCELLED in results:
        return "cancelled"
    return "stopped" if ReleaseResult.NOT_STARTED in results else "succeeded"


def _revision_text(record: ReleaseReport) -> str:
    return f"revision {record.revision}" if record.revision is not None else ""
