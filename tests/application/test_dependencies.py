"""Local charts with dependencies: built once by render/plan/deps before anything runs, the
content digest stable across rebuilds, a broken dependency a located error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envman.application.charts import chart_digest
from envman.cli import cli
from tests.conftest import copy_example

pytestmark = pytest.mark.helm
SECRETS = {"API_DB_PASSWORD": "hunter2-api-secret", "POSTGRES_PASSWORD": "pg-s3cret-value"}
UMBRELLA = """\
apiVersion: v2
name: umbrella
version: 0.3.0
dependencies:
  - name: common-config
    version: 0.1.0
    repository: file://../common-config
"""
COMMON = "apiVersion: v2\nname: common-config\nversion: 0.1.0\n"
CONFIGMAP = (
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-common}\ndata: {shared: "yes"}\n'
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "repo")
    (root / "charts" / "umbrella" / "templates").mkdir(parents=True)
    (root / "charts" / "umbrella" / "Chart.yaml").write_text(UMBRELLA)
    (root / "charts" / "umbrella" / "templates" / "own.yaml").write_text(CONFIGMAP.replace("-common", "-own"))
    (root / "charts" / "common-config" / "templates").mkdir(parents=True)
    (root / "charts" / "common-config" / "Chart.yaml").write_text(COMMON)
    (root / "charts" / "common-config" / "templates" / "cm.yaml").write_text(CONFIGMAP)
    (root / "environments" / "deps.yaml").write_text(
        "clusters: {c1: {region: r1}}\napps:\n  umbrella: {chart: charts/umbrella, namespace: tools}\n"
    )
    return root


def envman(root: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--no-color", "-C", str(root), *args], catch_exceptions=False, env=SECRETS
    )


def test_render_builds_a_missing_file_dependency_first(repo: Path, helm_binary: Path) -> None:
    archive = repo / "charts" / "umbrella" / "charts" / "common-config-0.1.0.tgz"
    assert not archive.exists()
    result = envman(repo, "render", "deps")
    assert result.exit_code == 0, result.output
    assert "name: umbrella-common" in result.stdout and "name: umbrella-own" in result.stdout
    assert archive.is_file()


def test_the_content_digest_does_not_change_when_a_dependency_is_rebuilt(
    repo: Path, helm_binary: Path
) -> None:
    assert envman(repo, "deps", "deps").exit_code == 0
    first = chart_digest(repo / "charts" / "umbrella")
    (repo / "charts" / "umbrella" / "charts" / "common-config-0.1.0.tgz").unlink()
    result = envman(repo, "deps", "deps")
    assert result.stdout == "deps: built the dependencies of charts/umbrella\n"
    assert chart_digest(repo / "charts" / "umbrella") == first
    assert envman(repo, "deps", "deps").stdout == "every local chart has its dependencies; no remote chart\n"
    (repo / "charts" / "common-config" / "templates" / "cm.yaml").write_text(CONFIGMAP.replace("yes", "no"))
    (repo / "charts" / "umbrella" / "charts" / "common-config-0.1.0.tgz").unlink()
    assert envman(repo, "deps", "deps").exit_code == 0
    assert chart_digest(repo / "charts" / "umbrella") != first


def test_a_dependency_that_cannot_be_built_is_a_located_error(repo: Path, helm_binary: Path) -> None:
    chart = repo / "charts" / "umbrella" / "Chart.yaml"
    chart.write_text(chart.read_text().replace("file://../common-config", "file://../nowhere"))
    result = envman(repo, "render", "deps")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: environments/deps.yaml:3:21: app 'umbrella': chart charts/umbrella: helm dependency build failed: "
    ), result.stderr
