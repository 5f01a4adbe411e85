"""The rollout engine of an environment, and what the `argocd` engine cannot take (README,
"Engines"): secrets (Argo CD would store their values in the Application) and the `helmTest`
gate (Argo CD runs no helm tests and keeps no helm release to test)."""

from __future__ import annotations

from collections.abc import Iterator

from envman.kit.errors import Problem
from envman.spec.environment import Environment, path_text
from envman.spec.models import ArgoCD, Engine, Gate

HELM: Engine = "helm"
ARGOCD: Engine = "argocd"

_SECRETS = (
    "the argocd engine takes no secrets: Argo CD would store their values in the Application; "
    "reference an in-cluster Secret from the chart instead (ExternalSecrets, sealed-secrets) "
    "and remove this key"
)
_HELM_TEST = (
    "the helmTest gate needs the helm engine: Argo CD runs no helm tests and keeps no helm "
    "release to test; use a command gate (e.g. a smoke test) instead"
)


def engine_of(env: Environment) -> Engine:
    """`rollout.engine`: helm unless the environment says argocd."""
    return env.spec.rollout.engine if env.spec.rollout is not None else HELM


def argocd_of(env: Environment) -> ArgoCD | None:
    """The Argo CD hub settings when the environment's engine is argocd, else None."""
    rollout = env.spec.rollout
    return rollout.argocd if rollout is not None and rollout.engine == ARGOCD else None


def check_engine(env: Environment) -> Iterator[Problem]:
    """What the environment's engine cannot do, each located."""
    rollout = env.spec.rollout
    if rollout is None or rollout.engine != ARGOCD:
        return
    if rollout.argocd is None:
        yield Problem(
            "rollout.engine argocd needs rollout.argocd with at least `context`: the kubeconfig "
            "context of the cluster where Argo CD runs",
            env.value_at("rollout", "engine"),
        )
    yield from secret_problems(env)
    for path in _helm_test_gates(env):
        yield Problem(f"{path_text(path)}: {_HELM_TEST}", env.key_at(*path))


def secret_problems(env: Environment) -> Iterator[Problem]:
    """Every app's `secrets:`, located: what an Argo CD Application must never carry."""
    for name, app in env.apps.items():
        if app.secrets:
            yield Problem(f"apps.{name}.secrets: {_SECRETS}", env.key_at("apps", name, "secrets"))


def _helm_test_gates(env: Environment) -> Iterator[tuple[str | int, ...]]:
    rollout = env.spec.rollout
    assert rollout is not None
    lists: list[tuple[tuple[str | int, ...], list[Gate]]] = [(("rollout", "gates"), rollout.gates or [])]
    lists += [(("rollout", "waves", i, "gates"), wave.gates) for i, wave in enumerate(rollout.waves)]
    for where, gates in lists:
        for index, gate in enumerate(gates):
            if gate.kind == "helmTest":
                yield (*where, index, "helmTest")
