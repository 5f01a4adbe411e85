"""The helm driver's contract: the `Helm` Protocol and the plain data it speaks.

The rollout engine, planner and CLI depend on this module only. The implementation
(`helm_driver.HelmDriver`, one per helm binary and cluster) runs helm through pyhelm3;
`helm_driver.HelmClients` hands out one driver per `KubeTarget`.

Conventions shared by every method:
- `values` are plain mappings; they reach helm on stdin, never on the command line, and
  no error message ever quotes them.
- `timeout` is in seconds (helm's own per-operation timeout).
- A failure raises `HelmError` (or `HelmReleaseNotFound` where a missing release is an
  error) carrying the helm verb, the release, the kube context and helm's last error line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from envman.kit.errors import HelmError
from envman.plan.desired import ChartSource

__all__ = [
    "ChartSource",
    "Helm",
    "HelmReleaseNotFound",
    "KubeTarget",
    "ReleaseRevision",
    "Templater",
    "TestResult",
]

PENDING_STATUSES = frozenset({"pending-install", "pending-upgrade", "pending-rollback"})
"""helm release statuses left behind by an interrupted install, upgrade or rollback."""


class HelmReleaseNotFound(HelmError):
    """The release does not exist in that namespace of that cluster."""


@dataclass(frozen=True)
class KubeTarget:
    """One cluster as helm reaches it: a kubeconfig file (None: helm's default,
    `$KUBECONFIG` or ~/.kube/config) and a context in it (None: its current context)."""

    kubeconfig: Path | None = None
    context: str | None = None

    def __str__(self) -> str:
        return f"context {self.context}" if self.context else "the current context"


@dataclass(frozen=True)
class ReleaseRevision:
    """One revision of a release as helm reports it.

    `labels` are the release's storage labels: complete from `status`; from
    `list_releases(selector=...)` they are the selector's labels (helm reports no labels in
    a listing, and every listed release carries the selector's); empty from `history`.
    """

    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    chart_version: str
    app_version: str
    updated: datetime
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def pending(self) -> bool:
        """True when an interrupted helm operation left the release locked."""
        return self.status in PENDING_STATUSES


@dataclass(frozen=True)
class TestResult:
    """The outcome of `helm test`: a failed test is a result, not an error."""

    __test__ = False  # not a pytest test class

    release: str
    namespace: str
    passed: bool
    output: str


class Templater(Protocol):
    """Rendering only: all that `envman render` and `diff` need from helm."""

    async def template(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        hooks: bool = False,
    ) -> str:
        """Render the chart without touching any cluster.

        By default the result is comparable with `get_manifest` of a release installed with
        the same inputs: hooks (tests included) and the chart's `crds/` directory are left
        out, as helm keeps both outside the release manifest. `hooks=True` renders what
        `helm template` shows by default, hooks and tests included.
        """
        ...


class Helm(Templater, Protocol):
    """Everything envman needs from helm, for one cluster."""

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
    ) -> ReleaseRevision:
        """Install or upgrade to exactly `values` (never reusing the previous release's
        values); returns the new revision (from helm's own output, no second call).
        `labels` are merged into the release's storage labels. With `recover` (the
        default), a release stuck in a pending state is first recovered; a caller that has
        just read the release's status (the planner) passes `recover=False` unless it saw
        it pending."""
        ...

    async def recover_pending(
        self, release: str, namespace: str, *, timeout: float
    ) -> ReleaseRevision | None:
        """Unlock a release an interrupted helm left pending, as pyhelm3 does: uninstall a
        pending install (or an unfinished uninstall), roll back a pending upgrade or
        rollback. Returns the release's usable revision, None when it is (now) absent."""
        ...

    async def rollback(
        self,
        release: str,
        namespace: str,
        revision: int | None = None,
        *,
        timeout: float,
        wait: bool = True,
    ) -> ReleaseRevision:
        """Roll back to `revision` (None: the previous one); returns the new revision."""
        ...

    async def uninstall(self, release: str, namespace: str, *, timeout: float, wait: bool = True) -> None:
        """Uninstall the release; an absent release is already uninstalled."""
        ...

    async def status(self, release: str, namespace: str) -> ReleaseRevision | None:
        """The latest revision (whatever its status), None if the release does not exist."""
        ...

    async def history(self, release: str, namespace: str) -> list[ReleaseRevision]:
        """Every stored revision, oldest first; empty if the release does not exist."""
        ...

    async def get_values(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any]:
        """The user-supplied values of the latest (or the given) revision."""
        ...

    async def get_manifest(self, release: str, namespace: str) -> str:
        """The manifest of the latest revision (no hooks, no `crds/`)."""
        ...

    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        """Run the release's helm tests."""
        ...

    async def list_releases(
        self, all_namespaces: bool = True, selector: Mapping[str, str] | None = None
    ) -> list[ReleaseRevision]:
        """The latest revision of every release, whatever its status (deployed, failed,
        pending-*, uninstalling, uninstalled with kept history), in one helm call.
        `selector` keeps the releases carrying all those labels."""
        ...
