"""`Application`: what one envman command works on and with.

It owns the repository root, the `--kubeconfig`, the process environment, every resolved
secret (its `redactor`), the kube and helm clients and the SOPS files decrypted (each built
or decrypted once, on first use) and the one event loop every use case of the command runs
on. `close()` releases them all.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from envman.adapters.target import ClusterTarget
from envman.application.targets import cluster_targets
from envman.kit.errors import Problem
from envman.kit.redact import Redactor, write_redacted
from envman.plan.fleet import Fleet, resolve
from envman.plan.secrets import Decrypt
from envman.plan.select import Selection, select
from envman.plan.waves import wave_problems
from envman.spec.environment import Environment
from envman.spec.loader import load_environment

if TYPE_CHECKING:  # imported on first use: `validate` and `graph` need neither helm nor kubernetes
    from envman.adapters.helm.driver import HelmClients
    from envman.adapters.kube.client import KubeClients
    from envman.adapters.sops import Sops

_T = TypeVar("_T")


@dataclass(frozen=True)
class Choice:
    """The --cluster, --region, --app and --selector options as given (checked by `select`)."""

    clusters: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    """`key=value` cluster labels."""

    def select(self, env: Environment) -> Selection:
        return select(env, self.clusters, self.regions, self.apps, self.labels)


class Application:
    """One command's repository, clients, secrets and event loop."""

    def __init__(
        self,
        root: Path,
        kubeconfig: Path | None = None,
        environ: Mapping[str, str] = os.environ,
        *,
        redactor: Redactor | None = None,
        warn: Callable[[Problem], None] = lambda _: None,
    ) -> None:
        self.root = root
        self.kubeconfig = kubeconfig
        self.environ = environ
        self.redactor = redactor if redactor is not None else Redactor()
        """Every secret value this command resolved: all output passes through it."""
        self._warn = warn
        self._warned: set[Problem] = set()
        self._runner: asyncio.Runner | None = None
        self._kube: KubeClients | None = None
        self._helm: HelmClients | None = None
        self._sops: Sops | None = None

    def load(self, name: str) -> Environment:
        """Environment `name`; each of its warnings is passed to `warn` once per command."""
        env = load_environment(self.root, name, more_checks=wave_problems)
        for warning in env.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                self._warn(warning)
        return env

    def fleet(self, name: str) -> Fleet:
        return resolve(self.load(name))

    def targets(self, env: Environment) -> dict[str, ClusterTarget]:
        return cluster_targets(env, self.kubeconfig)

    @property
    def kube(self) -> KubeClients:
        if self._kube is None:
            from envman.adapters.kube.client import KubeClients

            self._kube = KubeClients()
        return self._kube

    async def helm(self) -> HelmClients:
        """The helm clients, on the helm found from `ENVMAN_HELM`, `PATH` or the venv."""
        if self._helm is None:
            from envman.adapters.helm.driver import HelmClients

            self._helm = await HelmClients.from_env(self.environ)
        return self._helm

    @property
    def decrypt(self) -> Decrypt:
        """Decrypts the command's SOPS files with the real sops, each file once."""
        if self._sops is None:
            from envman.adapters.sops import Sops

            self._sops = Sops(self.environ)
        return self._sops.decrypt

    def write(self, path: Path, text: str, *, append: bool = False) -> None:
        """Write an output file (a report, a step summary, a saved plan, manifests, exported
        Applications) through the one redacting sink, as stdout is."""
        write_redacted(path, text, self.redactor, append=append)

    def run(self, work: Coroutine[Any, Any, _T]) -> _T:
        """Run `work` on the command's one event loop."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(work)

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()
            self._kube = None
        if self._runner is not None:
            self._runner.close()
            self._runner = None
