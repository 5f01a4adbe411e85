"""`rollout.engine` and what the argocd engine refuses, each located."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.kit.errors import SpecError
from envman.spec.engines import argocd_of, engine_of
from envman.spec.loader import load_environment
from tests.repo_builder import write_repo

ARGO = """
clusters:
  use1: {region: us-east-1, argocdName: prod-use1}
  euw1: {region: eu-west-1}
apps:
  api:
    chart: charts/app
    namespace: api
rollout:
  engine: argocd
  argocd: {context: hub}
"""


def problems(root: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_environment(root, "prod")
    return [str(p) for p in caught.value.problems]


def test_the_default_engine_is_helm(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": ARGO.split("rollout:", maxsplit=1)[0]})
    env = load_environment(tmp_path, "prod")
    assert engine_of(env) == "helm"
    assert argocd_of(env) is None


def test_argocd_settings_have_defaults(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": ARGO})
    env = load_environment(tmp_path, "prod")
    settings = argocd_of(env)
    assert engine_of(env) == "argocd"
    assert settings is not None
    assert (settings.context, settings.namespace, settings.project, settings.repoURL) == (
        "hub",
        "argocd",
        "default",
        None,
    )
    assert env.clusters["use1"].argocdName == "prod-use1"


def test_argocd_engine_without_its_hub_is_located(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": ARGO.replace("  argocd: {context: hub}\n", "")})
    assert problems(tmp_path) == [
        "environments/prod.yaml:9:11: rollout.engine argocd needs rollout.argocd with at least "
        "`context`: the kubeconfig context of the cluster where Argo CD runs"
    ]


def test_an_unknown_engine_suggests_the_closest(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": ARGO.replace("engine: argocd", "engine: argo")})
    assert problems(tmp_path) == [
        "environments/prod.yaml:9:11: rollout.engine: input should be 'helm' or 'argocd'"
    ]


def test_secrets_and_helm_test_are_located_errors_with_argocd(tmp_path: Path) -> None:
    text = ARGO.replace(
        "    namespace: api\n", "    namespace: api\n    secrets:\n      db.password: {env: DB_PASSWORD}\n"
    ) + (
        "  gates:\n    - health: {}\n    - helmTest: {timeout: 1m}\n  waves:\n    - name: all\n"
        "      clusters: [use1, euw1]\n      gates: [{helmTest: {}}]\n"
    )
    write_repo(tmp_path, {"environments/prod.yaml": text})
    found = problems(tmp_path)
    assert found[0].startswith(
        "environments/prod.yaml:8:5: apps.api.secrets: the argocd engine takes no secrets: Argo CD "
        "would store their values in the Application; reference an in-cluster Secret from the chart"
    )
    assert "(ExternalSecrets, sealed-secrets)" in found[0]
    assert [f.split(": the helmTest")[0] for f in found[1:]] == [
        "environments/prod.yaml:15:7: rollout.gates[1].helmTest",
        "environments/prod.yaml:19:16: rollout.waves[0].gates[0].helmTest",
    ]
    assert all("needs the helm engine" in f for f in found[1:])


def test_the_same_secrets_are_fine_with_helm(tmp_path: Path) -> None:
    text = ARGO.replace("engine: argocd", "engine: helm").replace(
        "    namespace: api\n", "    namespace: api\n    secrets:\n      db.password: {env: DB_PASSWORD}\n"
    )
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert load_environment(tmp_path, "prod").apps["api"].secrets
