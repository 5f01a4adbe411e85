"""Fail fast's `Watcher`: the pods, Jobs and workloads of the releases being upgraded, read by
one LIST loop per cluster and namespace (shared by every release upgraded there, not a poll
per release) and judged by `envman.plan.workload_failures`.

Each round LISTs pods, Jobs, ReplicaSets, Deployments, StatefulSets and DaemonSets of the
namespace (six requests every `interval` seconds, whatever the number of releases); the loop
runs only while a release of that namespace is being upgraded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.objects import ClusterApi
from envman.adapters.target import ClusterTarget
from envman.kit.errors import EnvmanError
from envman.plan.workload_failures import (
    FailFastSettings,
    WorkloadFailure,
    first_failure,
    ready_text,
    release_objects,
)

POLL_SECONDS = 2.0
WATCHED_KINDS = (
    ("v1", "Pod"),
    ("batch/v1", "Job"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
)
Obj = dict[str, Any]


class KubeWatcher:
    """`Watcher` over the clusters of `targets`."""

    def __init__(
        self,
        clients: KubeClients,
        targets: Mapping[str, ClusterTarget],
        interval: float = POLL_SECONDS,
        applications: Mapping[tuple[str, str, str], str] | None = None,
    ) -> None:
        self._clients = clients
        self._targets = targets
        self._interval = interval
        self._applications = applications or {}
        """(cluster, namespace, release) -> the Argo CD Application tracking its objects."""
        self._feeds: dict[tuple[str, str], _Feed] = {}

    async def failure(
        self,
        cluster: str,
        release: str,
        namespace: str,
        settings: FailFastSettings,
        pods: Callable[[str], None],
    ) -> WorkloadFailure:
        since = datetime.now(UTC)
        feed = self._feeds.get((cluster, namespace))
        if feed is None:
            api = ClusterApi(self._clients, self._targets[cluster])
            feed = self._feeds[cluster, namespace] = _Feed(api, namespace, self._interval)
        shown = None
        application = self._applications.get((cluster, namespace, release))
        with feed.watching():
            while True:
                objects = release_objects(release, await feed.next(), since, application)
                found = first_failure(objects, datetime.now(UTC), settings)
                if found is not None:
                    return found
                text = ready_text(objects)
                if text is not None and text != shown:
                    pods(text)
                    shown = text


class _Feed:
    """The watched objects of one namespace of one cluster, listed every `interval` seconds
    while anyone is watching."""

    def __init__(self, api: ClusterApi, namespace: str, interval: float) -> None:
        self._api = api
        self._namespace = namespace
        self._interval = interval
        self._watchers = 0
        self._task: asyncio.Task[None] | None = None
        self._round: asyncio.Future[list[Obj]] | None = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        self._watchers += 1
        if self._task is None:
            self._round = _future()
            self._task = asyncio.create_task(self._loop())
        try:
            yield
        finally:
            self._watchers -= 1
            if not self._watchers and self._task is not None:
                self._task.cancel()
                self._task = None

    async def next(self) -> list[Obj]:
        """The objects of the next round (raises the `EnvmanError` of a failed one)."""
        assert self._round is not None, "next() is called while watching"
        return await asyncio.shield(self._round)

    async def _loop(self) -> None:
        while True:
            current = self._round
            assert current is not None
            try:
                objects = await asyncio.to_thread(self._list)
            except EnvmanError as exc:
                self._round = _future()
                current.set_exception(exc)
            else:
                self._round = _future()
                current.set_result(objects)
            await asyncio.sleep(self._interval)

    def _list(self) -> list[Obj]:
        found = []
        for api_version, kind in WATCHED_KINDS:
            for item in self._api.list(api_version, kind, self._namespace):
                item.setdefault("kind", kind)  # a LIST's items carry no kind
                found.append(item)
        return found


def _future() -> asyncio.Future[list[Obj]]:
    future: asyncio.Future[list[Obj]] = asyncio.get_running_loop().create_future()
    future.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved even unwatched
    return future
