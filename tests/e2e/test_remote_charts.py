"""Remote charts end to end: an HTTPS chart repository with basic auth and a test CA, and an
OCI registry (Debian's docker-registry) with credentials over plain HTTP; render, plan, sync
and a version upgrade on both helm versions, the per-user cache, and the pre-flight."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chart_servers import PASSWORD, USER, ChartRepo, chart_repository, make_chart, oci_registry
from tests.e2e.conftest import Fleet
from tests.e2e.test_faults import history

pytestmark = pytest.mark.helm

SPEC = """\
repositories:
  internal:
    url: {repo}
    username: {{env: CHARTS_USER}}
    password: {{env: CHARTS_PASSWORD}}
    caFile: certs/ca.pem
  registry:
    url: oci://{registry}/charts
    username: {{env: CHARTS_USER}}
    password: {{env: CHARTS_PASSWORD}}
    plainHttp: true
clusters:
  prod-use1: {{region: us-east-1}}
apps:
  web-http:
    chart: internal/remoteweb
    version: {version}
    namespace: web
  web-oci:
    chart: registry/ociweb
    version: {version}
    namespace: oci
"""


@pytest.fixture
def servers(prod: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ChartRepo, str]]:
    monkeypatch.setenv("CHARTS_USER", USER)
    monkeypatch.setenv("CHARTS_PASSWORD", PASSWORD)
    monkeypatch.setenv("ENVMAN_CACHE_DIR", str(tmp_path / "cache"))
    source = prod.root / "charts" / "web"
    with (
        chart_repository(tmp_path / "repo", prod.root / "certs") as (repo, _),
        oci_registry(tmp_path / "oci") as host,
    ):
        pushed = tmp_path / "pushed"
        login = {**os.environ, "HELM_REGISTRY_CONFIG": str(tmp_path / "registry.json")}
        subprocess.run(
            [str(prod.helm), "registry", "login", host, "--username", USER, "--password-stdin", "--plain-http"],
            input=PASSWORD.encode(), env=login, check=True, capture_output=True,
        )  # fmt: skip
        for version in ("0.1.0", "0.2.0"):
            make_chart(source, "remoteweb", version, repo.folder, prod.helm)
            archive = make_chart(source, "ociweb", version, pushed, prod.helm)
            subprocess.run(
                [str(prod.helm), "push", str(archive), f"oci://{host}/charts", "--plain-http"],
                env=login, check=True, capture_output=True,
            )  # fmt: skip
        repo.index(prod.helm)
        yield repo, host


def write_spec(prod: Fleet, repo: ChartRepo, host: str, version: str) -> None:
    text = SPEC.format(repo=repo.url, registry=host, version=version)
    (prod.root / "environments" / "remote.yaml").write_text(text)


def chart_of(prod: Fleet, release: str, namespace: str) -> str:
    return str(history(prod, "prod-use1", release, namespace)[-1]["chart"])


def test_remote_charts_render_plan_sync_and_upgrade_with_one_fetch_each(
    prod: Fleet, servers: tuple[ChartRepo, str]
) -> None:
    repo, host = servers
    write_spec(prod, repo, host, "0.1.0")
    pinned = prod.envman("deps", "remote")
    assert pinned.exit_code == 0, pinned.output
    assert repo.hits["/index.yaml"] == 1 and repo.hits["/remoteweb-0.1.0.tgz"] == 1
    rendered = prod.envman("render", "remote")
    assert rendered.exit_code == 0, rendered.output
    assert (
        "# Source: remoteweb/templates/" in rendered.stdout
        and "# Source: ociweb/templates/" in rendered.stdout
    )
    assert repo.hits["/index.yaml"] == 1 and repo.hits["/remoteweb-0.1.0.tgz"] == 1, (
        "a pinned chart is cached"
    )
    planned = prod.envman("plan", "remote")
    assert planned.exit_code == 0 and "Plan for remote: 2 to install" in planned.stdout
    assert repo.hits["/index.yaml"] == 1, "a cached chart needs no index"
    synced = prod.envman("sync", "remote")
    assert synced.exit_code == 0, synced.output
    assert chart_of(prod, "web-http", "web") == "remoteweb-0.1.0"
    assert chart_of(prod, "web-oci", "oci") == "ociweb-0.1.0"
    assert prod.envman("plan", "remote", "--detailed-exitcode").exit_code == 0
    write_spec(prod, repo, host, "0.2.0")
    assert prod.envman("deps", "remote").exit_code == 0
    upgrade = prod.envman("plan", "remote", "-o", "json")
    changes = [
        c
        for w in json.loads(upgrade.stdout)["waves"]
        for cl in w["clusters"]
        for r in cl["releases"]
        for c in r["changes"]
    ]
    assert {c["path"] for c in changes} >= {"version"}, changes
    assert prod.envman("sync", "remote").exit_code == 0
    assert chart_of(prod, "web-http", "web") == "remoteweb-0.2.0"
    assert chart_of(prod, "web-oci", "oci") == "ociweb-0.2.0"
    assert repo.hits["/index.yaml"] == 2 and repo.hits["/remoteweb-0.2.0.tgz"] == 1
    for output in (pinned.output, rendered.output, planned.output, synced.output, upgrade.output):
        assert PASSWORD not in output


def test_a_version_the_repository_lacks_is_a_located_error_before_any_change(
    prod: Fleet, servers: tuple[ChartRepo, str]
) -> None:
    repo, host = servers
    write_spec(prod, repo, host, "9.9.9")
    planned = prod.envman("deps", "remote")
    assert planned.exit_code == 1
    assert (
        "environments/remote.yaml:16:12: app 'web-http': chart internal/remoteweb version 9.9.9: "
        in planned.stderr
    )
    assert "not found" in planned.stderr and PASSWORD not in planned.output
    synced = prod.envman("sync", "remote", "--report", str(prod.root / "r.json"))
    assert synced.exit_code == 1 and json.loads((prod.root / "r.json").read_text())["result"] == "error"
    with pytest.raises(subprocess.CalledProcessError):
        history(prod, "prod-use1", "web-http", "web")


def test_a_wrong_password_is_a_located_error(
    prod: Fleet, servers: tuple[ChartRepo, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, host = servers
    write_spec(prod, repo, host, "0.1.0")
    monkeypatch.setenv("CHARTS_PASSWORD", "not-the-password")
    planned = prod.envman("deps", "remote")
    assert planned.exit_code == 1, planned.output
    assert "app 'web-http': chart internal/remoteweb version 0.1.0: helm repo update" in planned.stderr
    assert "app 'web-oci': chart registry/ociweb version 0.1.0: helm pull" in planned.stderr
    assert "not-the-password" not in planned.output
