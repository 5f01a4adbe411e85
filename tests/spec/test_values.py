"""Values layering per (cluster, app): base < valuesFiles < values < region < cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.gates.registry import KINDS
from envman.kit.errors import PlanError
from envman.plan.desired import desired_release
from envman.plan.values import app_values, chart_version, is_enabled
from envman.spec.environment import Environment
from envman.spec.loader import load_environment
from envman.spec.merge import deep_merge
from envman.spec.models import Gate
from tests.repo_builder import write_repo

BASE = """
abstract: true
apps:
  api:
    chart: charts/app
    valuesFiles: [values/base.yaml]
    values:
      image: {repository: api, tag: "1.0"}
      resources: {limits: {cpu: 1, memory: 1Gi}}
      hosts: [a.example.com, b.example.com]
      debug: true
"""

PROD = """
extends: base
clusters:
  use1: {region: us-east-1}
  euw1: {region: eu-west-1}
  euw1-canary: {region: eu-west-1}
apps:
  api:
    valuesFiles: [values/prod.yaml]
    values:
      image: {tag: "2.0"}
      hosts: [prod.example.com]
      resources: {limits: {memory: null}}
    regions:
      eu-west-1:
        version: 1.0.0
        values: {image: {tag: "2.1"}, region: eu}
    clusters:
      euw1-canary:
        enabled: false
        values: {image: {tag: "2.2"}, debug: null}
"""


def load(tmp_path: Path) -> Environment:
    write_repo(
        tmp_path,
        {
            "environments/base.yaml": BASE,
            "environments/prod.yaml": PROD,
            "values/base.yaml": "replicaCount: 2\nimage: {pullPolicy: Always}\n",
            "values/prod.yaml": "replicaCount: 5\nimage: {tag: from-file}\n",
        },
    )
    return load_environment(tmp_path, "prod")


def test_deep_merge_semantics() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert deep_merge(base, {"a": {"c": [3]}, "d": None}) == {"a": {"b": 1, "c": [3]}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}, "inputs are not changed"


def test_layers_in_order(tmp_path: Path) -> None:
    env = load(tmp_path)
    assert app_values(env, "api", "use1") == {
        "replicaCount": 5,  # prod valuesFile over base valuesFile
        "image": {"repository": "api", "tag": "2.0", "pullPolicy": "Always"},  # prod values over prod file
        "resources": {"limits": {"cpu": 1, "memory": None}},  # null kept so helm drops the chart default
        "hosts": ["prod.example.com"],  # lists replace
        "debug": True,
    }


def test_region_then_cluster_overrides(tmp_path: Path) -> None:
    env = load(tmp_path)
    euw1 = app_values(env, "api", "euw1")
    assert euw1["image"]["tag"] == "2.1" and euw1["region"] == "eu"
    canary = app_values(env, "api", "euw1-canary")
    assert canary["image"]["tag"] == "2.2" and canary["region"] == "eu" and canary["debug"] is None


def test_enabled_and_version_overrides(tmp_path: Path) -> None:
    env = load(tmp_path)
    assert is_enabled(env, "api", "use1") and not is_enabled(env, "api", "euw1-canary")
    assert chart_version(env, "api", "euw1") == "1.0.0"
    assert chart_version(env, "api", "use1") == "1.0.0", "local chart: Chart.yaml's version"


def test_secrets_are_set_at_their_paths(tmp_path: Path) -> None:
    env = load(tmp_path)
    release = desired_release(env, "api", "use1", {"db.password": "s3cret"})
    assert release.values["db"] == {"password": "s3cret"}
    assert release.chart.ref == str(tmp_path / "charts" / "app") and release.namespace == "default"


def test_the_gate_model_follows_the_gate_registry() -> None:
    assert list(Gate.model_fields) == list(KINDS)
    gate = Gate.model_validate({"http": {"url": "https://x/{cluster}"}})
    assert gate.kind == "http" and KINDS[gate.kind].strings(gate.config) == ("https://x/{cluster}",)


def test_a_secret_path_through_a_list_indexes_it_or_is_a_located_error(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
            "environments/prod.yaml": (
                "clusters: {c1: {region: r}}\n"
                "apps:\n  app:\n    chart: charts/app\n"
                "    values: {tolerations: [{key: a, value: x}, {key: b, value: y}]}\n"
                "    secrets:\n      tolerations.1.value: {env: T}\n"
            ),
        },
    )
    env = load_environment(tmp_path, "prod")
    release = desired_release(env, "app", "c1", {"tolerations.1.value": "s3cret"})
    assert release.values["tolerations"] == [{"key": "a", "value": "x"}, {"key": "b", "value": "s3cret"}]
    with pytest.raises(PlanError) as past:
        desired_release(env, "app", "c1", {"tolerations.5.value": "s3cret"})
    assert "index 5 is past the end of a list of 2" in str(past.value)
    assert str(past.value).startswith("environments/prod.yaml")
