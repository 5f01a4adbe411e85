"""A test helper: an in-process sandbox on free loopback ports, torn down afterwards.

Every sandbox binds its own ephemeral ports and writes its own kubeconfig, so tests can
run in parallel (pytest-xdist) without sharing anything.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from envman.sandbox import kubeconfig
from envman.sandbox.api import ApiSnapshot
from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.controllers.failures import DEFAULT_MODE
from envman.sandbox.server import Sandbox

TEST_READY_DELAY = 0.05


@dataclass
class RunningSandbox:
    """A sandbox started by `running_sandbox`, with direct access to its clusters."""

    sandbox: Sandbox
    kubeconfig: Path

    @property
    def ports(self) -> dict[str, int]:
        return self.sandbox.ports

    def server(self, cluster: str) -> str:
        return f"http://127.0.0.1:{self.sandbox.ports[cluster]}"

    def fail(self, cluster: str, app: str | None = None, mode: str = DEFAULT_MODE) -> None:
        """Pods of templates new from now on in `cluster` (of release `app`, or all) fail in
        `mode` (one of `MODES`); see `envman sandbox fail --help`."""
        self.sandbox.fail(cluster, app, mode)

    def heal(self, cluster: str) -> None:
        self.sandbox.heal(cluster)

    def requests(self, cluster: str) -> int:
        """How many API requests the cluster has served."""
        return self.sandbox.counters()[cluster].get("total", 0)

    def reset_counters(self) -> None:
        self.sandbox.reset_counters()

    def snapshot(self) -> dict[str, ApiSnapshot]:
        """What every cluster holds now, for `running_sandbox(restore=)` to start from."""
        return self.sandbox.snapshot()

    def syncs(self, cluster: str) -> int:
        """How many work items (one object's sync each) the cluster's controllers processed."""
        return self.sandbox.clusters[cluster].controllers.syncs


@contextmanager
def running_sandbox(
    clusters: Sequence[str],
    *,
    ready_delay: float = TEST_READY_DELAY,
    directory: Path | None = None,
    hub: HubSettings | None = None,
    restore: Mapping[str, ApiSnapshot] | None = None,
) -> Iterator[RunningSandbox]:
    """Serve `clusters` from this process; yield their kubeconfig; stop them on exit.
    With `hub`, also the emulated Argo CD hub (its context in the same kubeconfig); each
    cluster in `restore` starts holding what its snapshot held (`RunningSandbox.snapshot`)."""
    with tempfile.TemporaryDirectory(prefix="envman-sandbox-") as tmp:
        sandbox = Sandbox(clusters, ready_delay, hub, restore)
        sandbox.start()
        try:
            path = kubeconfig.write(Path(directory or tmp) / "kubeconfig", sandbox.ports)
            yield RunningSandbox(sandbox, path)
        finally:
            sandbox.stop()
