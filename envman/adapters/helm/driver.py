"""`HelmDriver`: the helm ports (`envman.rollout.ports`: release operations, reading,
templating; helm test) for one helm binary and one cluster, over pyhelm3;
`HelmClients`: one driver per cluster, all sharing one detected helm binary."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from envman.adapters.helm.binary import HelmBinary, locate_helm
from envman.adapters.helm.flags import (
    FLAGS,
    helm_duration,
    helm_test_args,
    list_args,
    manifest_args,
    metadata_args,
    template_args,
    upgrade_args,
)
from envman.adapters.helm.parse import from_history_item, from_list_item, from_metadata, from_release
from envman.adapters.helm.process import HelmCommand, HelmReleaseNotFound, checked, secret_strings
from envman.adapters.target import KubeTarget
from envman.gates.ports import TestResult
from envman.kit.errors import HelmError
from envman.kit.redact import Redactor
from envman.plan.desired import ChartSource
from envman.rollout.ports import ReleaseRevision

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_UNINSTALL_TO_RECOVER = frozenset({"pending-install", "uninstalling"})
_ROLLBACK_TO_RECOVER = frozenset({"pending-upgrade", "pending-rollback"})


class HelmDriver:
    """The `Helm` Protocol for one cluster (`target`) through one helm binary."""

    def __init__(self, binary: HelmBinary, target: KubeTarget) -> None:
        self.binary = binary
        self.target = target
        self._flags = FLAGS[binary.major]
        self._command = HelmCommand(binary.path, target)
        self._redactor = Redactor()

    async def template(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        hooks: bool = False,
        is_upgrade: bool = False,
    ) -> str:
        args = template_args(release, namespace, chart, hooks=hooks, is_upgrade=is_upgrade)
        return (await self._run("template", release, args, values=values, cluster=False)).decode()

    async def upgrade_install(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        timeout: float,
        labels: Mapping[str, str],
        wait: bool = True,
        create_namespace: bool = True,
        force: bool = False,
        recover: bool = True,
        force_conflicts: bool = False,
    ) -> ReleaseRevision:
        if recover:
            await self.recover_pending(release, namespace, timeout=timeout)
        args = upgrade_args(
            self._flags,
            release,
            namespace,
            chart,
            timeout=timeout,
            labels=labels,
            wait=wait,
            create_namespace=create_namespace,
            force=force,
            force_conflicts=force_conflicts,
        )
        output = await self._run("upgrade", release, args, values=values)
        try:
            return from_release(json.loads(output), labels)
        except (ValueError, KeyError, TypeError) as exc:
            raise HelmError(f"helm upgrade {release} on {self.target}: unreadable output") from exc

    async def recover_pending(
        self, release: str, namespace: str, *, timeout: float
    ) -> ReleaseRevision | None:
        current = await self.status(release, namespace)
        if current is None or current.status not in _UNINSTALL_TO_RECOVER | _ROLLBACK_TO_RECOVER:
            return current
        _log.warning(
            "release %s/%s on %s is stuck in %s (revision %d): recovering",
            namespace,
            release,
            self.target,
            current.status,
            current.revision,
        )
        if current.status in _UNINSTALL_TO_RECOVER:
            await self.uninstall(release, namespace, timeout=timeout)
            return None
        return await self._rollback(release, namespace, None, timeout, True, cleanup_on_fail=True)

    async def rollback(
        self,
        release: str,
        namespace: str,
        revision: int | None = None,
        *,
        timeout: float,
        wait: bool = True,
    ) -> ReleaseRevision:
        return await self._rollback(release, namespace, revision, timeout, wait)

    async def uninstall(self, release: str, namespace: str, *, timeout: float, wait: bool = True) -> None:
        call = self._command.uninstall(
            release, namespace=namespace, timeout=helm_duration(timeout), wait=wait
        )
        try:
            await self._guard("uninstall", release, call)
        except HelmReleaseNotFound:
            _log.info("release %s/%s on %s is already absent", namespace, release, self.target)

    async def status(self, release: str, namespace: str) -> ReleaseRevision | None:
        try:
            out = await self._run("status", release, metadata_args(release, namespace))
        except HelmReleaseNotFound:
            return None
        return from_metadata(json.loads(out))

    async def history(self, release: str, namespace: str) -> list[ReleaseRevision]:
        call = self._command.history(release, namespace=namespace)
        try:
            items = await self._guard("history", release, call)
        except HelmReleaseNotFound:
            return []
        return [from_history_item(item, release, namespace) for item in items]

    async def get_values(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any]:
        call = self._command.get_values(release, namespace=namespace, revision=revision)
        values: dict[str, Any] = dict(await self._guard("get values", release, call))
        self._redactor.add(secret_strings(values))
        return values

    async def get_manifest(self, release: str, namespace: str) -> str:
        args = manifest_args(release, namespace)
        return (await self._run("get manifest", release, args)).decode()

    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        try:
            out = await self._run("test", release, helm_test_args(release, namespace, timeout))
        except HelmReleaseNotFound:
            raise
        except HelmError as exc:
            return TestResult(release, namespace, passed=False, output=str(exc))
        return TestResult(release, namespace, passed=True, output=out.decode())

    async def list_releases(
        self, all_namespaces: bool = True, selector: Mapping[str, str] | None = None
    ) -> list[ReleaseRevision]:
        out = await self._run("list", "", list_args(all_namespaces, selector))
        return [from_list_item(item, selector or {}) for item in json.loads(out) or []]

    async def _rollback(
        self,
        release: str,
        namespace: str,
        revision: int | None,
        timeout: float,
        wait: bool,
        *,
        cleanup_on_fail: bool = False,
    ) -> ReleaseRevision:
        call = self._command.rollback(
            release,
            revision,
            namespace=namespace,
            timeout=helm_duration(timeout),
            wait=wait,
            cleanup_on_fail=cleanup_on_fail,
        )
        await self._guard("rollback", release, call)
        return await self._current("rollback", release, namespace)

    async def _current(self, verb: str, release: str, namespace: str) -> ReleaseRevision:
        current = await self.status(release, namespace)
        if current is None:
            raise HelmError(f"helm {verb} {release} on {self.target}: the release is gone")
        return current

    async def _run(
        self,
        verb: str,
        release: str,
        args: list[str],
        *,
        values: Mapping[str, Any] | None = None,
        cluster: bool = True,
    ) -> bytes:
        stdin = None
        if values is not None:
            self._redactor.add(secret_strings(values))
            stdin = json.dumps(values, default=str).encode()
        call = self._command.exec(args, stdin, cluster=cluster)
        return await self._guard(verb, release, call, cluster=cluster)

    async def _guard(self, verb: str, release: str, call: Awaitable[_T], *, cluster: bool = True) -> _T:
        return await checked(verb, release, self.target if cluster else None, call, self._redactor)


class HelmClients:
    """One `HelmDriver` per cluster, all on one helm binary."""

    def __init__(self, binary: HelmBinary) -> None:
        self.binary = binary
        self._drivers: dict[KubeTarget, HelmDriver] = {}

    @classmethod
    async def from_env(cls, env: Mapping[str, str]) -> HelmClients:
        """Find helm and detect its version off the event loop."""
        return cls(await asyncio.to_thread(locate_helm, env))

    def for_target(self, target: KubeTarget) -> HelmDriver:
        """The driver of `target`, created on first use."""
        if target not in self._drivers:
            self._drivers[target] = HelmDriver(self.binary, target)
        return self._drivers[target]
