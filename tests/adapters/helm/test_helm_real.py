"""The real helm 3 and helm 4 binaries, no cluster needed: `template`, and errors from an
unreachable cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from envman.adapters.helm.binary import locate_helm
from envman.adapters.helm.driver import HelmDriver
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from envman.plan.desired import ChartSource

VENV_BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"
DEMO = ChartSource(str(Path(__file__).parent / "charts" / "demo"))
SECRET = "s3cr3t-hunter2"

pytestmark = pytest.mark.helm


@pytest.fixture(params=["helm", "helm3"])
def driver(request: pytest.FixtureRequest) -> HelmDriver:
    helm = VENV_BIN / request.param
    if not helm.exists():
        pytest.skip(f"{request.param} is not installed in .venv/bin")
    # An unreachable cluster: template must not need one.
    target = KubeTarget(Path("/nonexistent/kubeconfig"), "nowhere")
    return HelmDriver(locate_helm({"ENVMAN_HELM": str(helm)}), target)


def _documents(manifest: str) -> dict[str, dict[str, Any]]:
    docs = [doc for doc in YAML(typ="safe").load_all(manifest) if doc]
    return {f"{doc['kind']}/{doc['metadata']['name']}": doc for doc in docs}


async def test_template_merges_values_like_helm(driver: HelmDriver) -> None:
    values = {
        "config": {"drop": None, "new": "x"},
        "ports": [8080],
        "image": {"tag": "2.0"},
        "db": {"password": SECRET},
    }
    docs = _documents(await driver.template("api", "prod", DEMO, values))
    assert sorted(docs) == ["ConfigMap/api-config", "Deployment/api"]  # no hook, no CRD
    rendered = json.loads(docs["ConfigMap/api-config"]["data"]["values.json"])
    assert rendered == {
        "replicaCount": 1,
        "image": {"repository": "nginx", "tag": "2.0"},
        "config": {"keep": "default", "new": "x"},
        "ports": [8080],
        "db": {"password": SECRET},
    }
    assert docs["Deployment/api"]["metadata"]["namespace"] == "prod"


async def test_a_missing_chart_is_a_helm_error_without_values(driver: HelmDriver, tmp_path: Path) -> None:
    missing = ChartSource(str(tmp_path / "no-such-chart"))
    with pytest.raises(HelmError) as caught:
        await driver.template("api", "prod", missing, {"db": {"password": SECRET}})
    message = str(caught.value)
    assert message.startswith("helm template api failed: ")
    assert "no-such-chart" in message
    assert "\n" not in message
    assert SECRET not in message


async def test_a_failing_template_redacts_the_value_it_quotes(driver: HelmDriver, tmp_path: Path) -> None:
    chart = tmp_path / "bad"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text('{{ fail (printf "rejected %s" .Values.pw) }}\n')
    with pytest.raises(HelmError) as caught:
        await driver.template("api", "prod", ChartSource(str(chart)), {"pw": SECRET})
    assert "rejected <redacted>" in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_an_unreachable_cluster_is_a_helm_error_naming_the_context(
    driver: HelmDriver,
) -> None:
    with pytest.raises(HelmError) as caught:
        await driver.status("api", "prod")
    message = str(caught.value).lower()
    assert message.startswith("helm status api failed on context nowhere: ")
    assert "kubernetes cluster unreachable" in message
