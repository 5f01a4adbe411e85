"""Fail fast with the argocd engine: the `Watcher` of the destinations the kubeconfig can
read (their objects tracked by the release's Application); elsewhere nothing is watched and
Argo CD's health decides."""

from __future__ import annotations

from collections.abc import Callable, Collection

from envman.plan.workload_failures import FailFastSettings, WorkloadFailure
from envman.rollout.ports import NoWatcher, Watcher


class ReadableOnly:
    """`Watcher`: `inner` on the `readable` clusters, no watch on the others."""

    def __init__(self, inner: Watcher, readable: Collection[str]) -> None:
        self._inner = inner
        self._readable = frozenset(readable)

    async def failure(
        self,
        cluster: str,
        release: str,
        namespace: str,
        settings: FailFastSettings,
        pods: Callable[[str], None],
    ) -> WorkloadFailure:
        watcher = self._inner if cluster in self._readable else NoWatcher()
        return await watcher.failure(cluster, release, namespace, settings, pods)
