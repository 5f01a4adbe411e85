"""Failing fast (README, Sync: fails fast): a helm call raced against the watcher of its
release's workloads. A definitive failure stops helm at once (SIGTERM: helm marks the release
`failed`, a state rollback handles) and fails the release with the reason; a watcher that
cannot read the cluster leaves helm alone to decide."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from envman.kit.errors import EnvmanError
from envman.plan.model import ReleasePlan
from envman.plan.workload_failures import WorkloadFailure
from envman.rollout.context import Run
from envman.rollout.events import Phase, Scope

_T = TypeVar("_T")


class WorkloadFailed(EnvmanError):
    """A release's workloads failed definitively while helm waited for them."""

    def __init__(self, failure: WorkloadFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


async def watched(run: Run, wave: str, plan: ReleasePlan, helm_call: Awaitable[_T]) -> _T:
    """The result of `helm_call`, unless the release's workloads fail first (`WorkloadFailed`)."""
    helm = asyncio.ensure_future(helm_call)
    settings = run.options.fail_fast
    if settings is None:
        return await helm

    def pods(text: str) -> None:
        run.emit(Scope.RELEASE, Phase.PROGRESS, wave=wave, cluster=plan.cluster, name=plan.app, detail=text)

    watch = asyncio.ensure_future(
        run.ports.watcher.failure(plan.cluster, plan.release, plan.namespace, settings, pods)
    )
    try:
        await asyncio.wait({helm, watch}, return_when=asyncio.FIRST_COMPLETED)
        if not helm.done() and watch.exception() is None:
            failure = watch.result()
            helm.cancel()
            await asyncio.gather(helm, return_exceptions=True)
            raise WorkloadFailed(failure)
        if not helm.done():
            pods(f"fail-fast watch stopped, helm's timeout decides: {watch.exception()}")
        return await helm
    finally:
        for task in (helm, watch):
            task.cancel()
        await asyncio.gather(helm, watch, return_exceptions=True)
