"""Where each cluster's API is: the spec's kubeconfig/context, else --kubeconfig, else $KUBECONFIG."""

from __future__ import annotations

from pathlib import Path

from envman.adapters.target import ClusterTarget, KubeTarget
from envman.spec.environment import Environment


def cluster_targets(env: Environment, kubeconfig: Path | None) -> dict[str, ClusterTarget]:
    """Every cluster of `env` with its kubeconfig (None: $KUBECONFIG or ~/.kube/config) and
    context. A relative `kubeconfig:` in the spec is relative to the repository root."""
    targets = {}
    for name, spec in env.clusters.items():
        path = env.root / Path(spec.kubeconfig).expanduser() if spec.kubeconfig else kubeconfig
        targets[name] = ClusterTarget(name, KubeTarget(path, env.context_of(name)))
    return targets
