"""The Protocols the rollout engine and the use cases depend on, and the plain data they speak.

Every port is injected: the application layer wires real adapters in (helm through
pyhelm3, kube health and the Lease lock, the probes of `envman.adapters`, the clock and
the prompt); tests wire recording fakes. The probe Protocols of gate checks live with their
gate kinds (`envman.gates`); a run gets the probes as `Probes`, made from a table of `wire`
rows. A port signals an expected failure with an `EnvmanError` (usually a `DriverError`);
anything else is a bug and propagates.

helm conventions shared by every method: `values` are plain mappings that reach helm on
stdin, never on the command line, and no error message quotes them; `timeout` is in
seconds; a failure raises `HelmError` carrying the helm verb, the release, the kube
context and helm's last error line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from envman.gates.ports import HelmTester, ProbeKey
from envman.plan.desired import ChartSource
from envman.plan.workload_failures import FailFastSettings, WorkloadFailure
from envman.rollout.events import Event

P = TypeVar("P")

PENDING_STATUSES = frozenset({"pending-install", "pending-upgrade", "pending-rollback"})
"""helm release statuses left behind by an interrupted install, upgrade or rollback."""


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


class Templater(Protocol):
    """Rendering only: all that `render` and `diff` need from helm."""

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
        """Render the chart without touching any cluster.

        By default the result is comparable with `get_manifest` of a release installed with
        the same inputs: hooks (tests included) and the chart's `crds/` directory are left
        out, as helm keeps both outside the release manifest. `hooks=True` renders what
        `helm template` shows by default, hooks and tests included. `is_upgrade` renders as
        an upgrade of an existing release does (`.Release.IsUpgrade`).
        """
        ...


class ReleaseReader(Protocol):
    """Reading releases of one cluster: what status, evidence and promotion need."""

    async def status(self, release: str, namespace: str) -> ReleaseRevision | None:
        """The latest revision (whatever its status), None if the release does not exist."""
        ...

    async def get_values(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any]:
        """The user-supplied values of the latest (or the given) revision."""
        ...

    async def get_manifest(self, release: str, namespace: str) -> str:
        """The manifest of the latest revision (no hooks, no `crds/`)."""
        ...

    async def list_releases(
        self, all_namespaces: bool = True, selector: Mapping[str, str] | None = None
    ) -> list[ReleaseRevision]:
        """The latest revision of every release, whatever its status (deployed, failed,
        pending-*, uninstalling, uninstalled with kept history), in one helm call.
        `selector` keeps the releases carrying all those labels."""
        ...


class ReleaseOps(HelmTester, Protocol):
    """What the engine does to the releases of one cluster: the 5 helm operations it uses."""

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
        """Install or upgrade to exactly `values` (never reusing the previous release's
        values); returns the new revision (from helm's own output, no second call).
        `force_conflicts` takes over fields other field managers hold (repairing drift)
        where helm applies server-side.
        `labels` are merged into the release's storage labels. With `recover` (the
        default), a release stuck in a pending state is first recovered; a caller that has
        just read the release's status (the planner) passes `recover=False` unless it saw
        it pending."""
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

    async def history(self, release: str, namespace: str) -> list[ReleaseRevision]:
        """Every stored revision, oldest first; empty if the release does not exist."""
        ...


HelmFor = Callable[[str], ReleaseOps]
"""The helm operations of a cluster, by cluster name."""


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class Prompt(Protocol):
    def is_interactive(self) -> bool: ...

    async def confirm(self, question: str) -> bool: ...


class LockHolder(Protocol):
    """Who runs a sync, shown to a second run that finds the environment locked; `str()`
    of it is for people."""

    def identity(self) -> str:
        """A stable string naming the holder, compared to tell runs apart."""
        ...


class Lock(Protocol):
    """The environment lock. `acquire` raises `LockHeld` naming the holder when another live
    run holds it, and returns what it took over from runs that ended or expired (one line
    each: where, from whom, why); `renew` raises `LockHeld` when the lock was lost to another
    run."""

    async def acquire(self, holder: LockHolder) -> Sequence[str]: ...

    async def renew(self) -> None: ...

    async def release(self) -> None: ...


class Verifications(Protocol):
    """The verification record of the environment, per cluster."""

    async def record(self, cluster: str, wave: str, releases: Mapping[str, str], at: str) -> None:
        """Record that `wave`'s gates and bake passed on `cluster` for `releases` (app ->
        release digest) at `at` (ISO 8601 UTC); other releases of the wave keep their record."""
        ...


class NoVerifications:
    """`Verifications` that records nothing (a dry run, a test that does not look)."""

    async def record(self, cluster: str, wave: str, releases: Mapping[str, str], at: str) -> None:
        return None


class Watcher(Protocol):
    """Fail fast (README, Sync: fails fast): the workloads of a release helm is upgrading."""

    async def failure(
        self,
        cluster: str,
        release: str,
        namespace: str,
        settings: FailFastSettings,
        pods: Callable[[str], None],
    ) -> WorkloadFailure:
        """Watch the objects of `release` created from now on; return its first definitive
        failure. Never returns while there is none (the caller cancels it when helm is done);
        raises `EnvmanError` when the cluster cannot be read. `pods` gets `2/3 ready` (and
        why pods wait) whenever that changes."""
        ...


class NoWatcher:
    """A `Watcher` that never sees a failure (fail fast off, or a test that does not look)."""

    async def failure(
        self,
        cluster: str,
        release: str,
        namespace: str,
        settings: FailFastSettings,
        pods: Callable[[str], None],
    ) -> WorkloadFailure:
        await asyncio.Future()
        raise AssertionError("unreachable")


class Progress(Protocol):
    def event(self, event: Event) -> None:
        """Show one start/finish/info event; must not block."""
        ...


@dataclass(frozen=True)
class ProbeWiring:
    """One row of a probe table: a gate kind's `ProbeKey` and what makes its probe. Made by
    `wire`, which has mypy check that `make` makes what the key names."""

    key: ProbeKey[Any]
    make: Callable[[], object]


def wire(key: ProbeKey[P], make: Callable[[], P]) -> ProbeWiring:
    """A probe table's row: `wire(Http.probe, UrllibHttpProbe)`."""
    return ProbeWiring(key, make)


class Probes:
    """The probes a run's gate checks get, by the `ProbeKey` each gate kind declares."""

    def __init__(self, table: Iterable[ProbeWiring] = ()) -> None:
        self._probes: dict[ProbeKey[Any], object] = {row.key: row.make() for row in table}

    def with_probe(self, key: ProbeKey[P], probe: P) -> Probes:
        """These probes, with `probe` for `key` (added, or instead of the one there)."""
        probes = Probes()
        probes._probes = {**self._probes, key: probe}
        return probes

    def get(self, key: ProbeKey[P]) -> P:
        if key not in self._probes:
            raise LookupError(f"no probe is wired for the {key.name!r} gate kind")
        return cast(P, self._probes[key])  # `wire` and `with_probe` checked its type
