"""Where a cluster's API is, as helm and the kubernetes client reach it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KubeTarget:
    """One cluster as helm reaches it: a kubeconfig file (None: helm's default,
    `$KUBECONFIG` or ~/.kube/config) and a context in it (None: its current context)."""

    kubeconfig: Path | None = None
    context: str | None = None

    def __str__(self) -> str:
        return f"context {self.context}" if self.context else "the current context"


@dataclass(frozen=True)
class ClusterTarget:
    """A cluster of the spec and where its API is found."""

    name: str
    target: KubeTarget

    def describe(self) -> str:
        where = f" in {self.target.kubeconfig}" if self.target.kubeconfig else ""
        return f"cluster {self.name!r} (context {self.target.context or 'current'!r}{where})"
