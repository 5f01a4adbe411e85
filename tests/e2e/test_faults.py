"""Faults under a real sync process: real signals, a cluster cut off by a TCP proxy, a crash.

Each test checks the clusters (helm history, Leases) besides envman's own report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests.e2e.conftest import PROD_CLUSTERS, Fleet, fast, synced
from tests.e2e.proxy import Proxy, proxied_kubeconfig
from tests.e2e.test_sync import report, results

pytestmark = pytest.mark.helm
ONE_HELM = pytest.mark.parametrize("helm_binary", ["helm4"], indirect=True)
"""For a case about envman's own lock and connections, whatever the helm: one helm is enough."""
ENVMAN = Path(sys.executable).parent / "envman"


class Sync:
    """`envman sync` as a child process, its stderr read line by line."""

    def __init__(self, prod: Fleet, *args: str, kubeconfig: Path | None = None, group: bool = False) -> None:
        argv = [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(kubeconfig or prod.sandbox.kubeconfig)]
        self.proc = subprocess.Popen(
            [*argv, "sync", "prod", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "ENVMAN_HELM": str(prod.helm)},
            start_new_session=group,  # its own process group, as a terminal gives a job
        )
        self.lines: list[str] = []

    def wait_for(self, *words: str) -> str:
        """Read stderr up to the first line containing every one of `words`."""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if all(word in line for word in words):
                return line
        raise AssertionError(f"sync ended before a line with {words}:\n{''.join(self.lines)}")

    def finish(self, timeout: float = 240) -> str:
        _, rest = self.proc.communicate(timeout=timeout)
        return "".join(self.lines) + rest


def history(prod: Fleet, cluster: str, release: str, namespace: str) -> list[dict[str, Any]]:
    kube = ["--kube-context", cluster, "--kubeconfig", str(prod.sandbox.kubeconfig)]
    out = subprocess.run(
        [str(prod.helm), *kube, "history", release, "-n", namespace, "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def helm_values(prod: Fleet, cluster: str, release: str, namespace: str) -> dict[str, Any]:
    kube = ["--kube-context", cluster, "--kubeconfig", str(prod.sandbox.kubeconfig)]
    out = subprocess.run(
        [str(prod.helm), *kube, "get", "values", release, "-n", namespace, "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def core(prod: Fleet, cluster: str) -> client.CoordinationV1Api:
    api = config.new_client_from_config(str(prod.sandbox.kubeconfig), context=cluster)
    return client.CoordinationV1Api(api)


def leases(prod: Fleet, cluster: str) -> list[str]:
    return [lease.metadata.name for lease in core(prod, cluster).list_namespaced_lease("default").items]


def lease_renewed(prod: Fleet, cluster: str) -> str:
    return str(core(prod, cluster).read_namespaced_lease("envman-prod", "default").spec.renew_time)


@pytest.fixture
def proxy(prod: Fleet) -> Iterator[Proxy]:
    cut = Proxy(prod.sandbox.ports["prod-euw1"])
    yield cut
    cut.close()


def helm_children(kubeconfig: Path) -> list[int]:
    """The pids of helm processes working on this test's clusters."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(kubeconfig).encode() in argv and any(
                a.endswith(b"helm") or a.endswith(b"helm3") for a in argv[:1]
            ):
                pids.append(int(entry.name))
    return pids


def wait_until(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def lease_holders(prod: Fleet) -> dict[str, str | None]:
    """The holder of `envman-prod` per cluster that has the Lease (None: released)."""
    found = {}
    for cluster in PROD_CLUSTERS:
        for lease in core(prod, cluster).list_namespaced_lease("default").items:
            if lease.metadata.name == "envman-prod":
                found[cluster] = lease.spec.holder_identity
    return found


@ONE_HELM
def test_cluster_cut_off_mid_wave_exits_3_then_the_next_run_takes_its_stale_lock_over(
    prod: Fleet, proxy: Proxy, tmp_path: Path
) -> None:
    fast(prod, "20s")
    synced(prod)
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    kubeconfig = proxied_kubeconfig(prod.sandbox.kubeconfig, proxy.upstream, proxy, tmp_path / "kubeconfig")
    out = tmp_path / "cut.json"
    run = Sync(prod, "--report", str(out), kubeconfig=kubeconfig)
    run.wait_for("release prod-euw1/", "started")
    proxy.cut()
    text = run.finish()
    assert run.proc.returncode == 3, text
    assert "Traceback" not in text
    doc = report(prod, out)
    assert doc["result"] == "failed" and results(doc)["world"] in ("rolled-back", "rollback-failed")
    assert "prod-euw1" in doc["error"]
    assert "prod-euw1" in text and "could not release the lock" in text
    assert "this run's end is recorded on " in text, text
    # what the sandbox itself holds: the unreachable cluster still has the run's Lease, the
    # others a released one recording that the run ended
    holders = lease_holders(prod)
    cut_run = holders.pop("prod-euw1")
    assert cut_run is not None and json.loads(cut_run)["user"]
    assert holders == dict.fromkeys(holders, None) and len(holders) == len(PROD_CLUSTERS) - 1

    proxy.restore()  # the cluster comes back: the next run goes on without anyone's help
    again = Sync(prod, kubeconfig=kubeconfig)
    text = again.finish()
    assert again.proc.returncode == 0, text
    (line,) = [line for line in text.splitlines() if "lock: taken-over:" in line]
    assert "took over the lock on cluster 'prod-euw1' from " in line, line
    assert "that run ended at " in line and "while prod-euw1 was unreachable" in line, line
    assert lease_holders(prod) == {}


@ONE_HELM
def test_outage_while_a_wave_bakes_keeps_the_lock_renewed(
    prod: Fleet, proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast(prod)
    monkeypatch.setenv("ENVMAN_LOCK_RENEW_SECONDS", "2")  # renewals every 2 s, not 15 s
    prod.edit("environments/prod.yaml", "bake: 2s", "bake: 20s")
    kubeconfig = proxied_kubeconfig(prod.sandbox.kubeconfig, proxy.upstream, proxy, tmp_path / "kubeconfig")
    out = tmp_path / "outage.json"
    run = Sync(prod, "--report", str(out), kubeconfig=kubeconfig)
    run.wait_for("bake", "started")
    before = lease_renewed(prod, "prod-euw1")
    proxy.cut()
    time.sleep(6)  # three renewals fail: retried after 1, 2 and 4 s
    proxy.restore()
    wait_until(lambda: lease_renewed(prod, "prod-euw1") != before, timeout=30)
    text = run.finish()
    assert run.proc.returncode == 0, text
    assert "Traceback" not in text
    assert "lock: renew-failed: cluster 'prod-euw1'" in text and "connection refused); retrying" in text, text
    assert "lock: renewed: renewed on every cluster after" in text, text
    assert report(prod, out)["result"] == "succeeded"
    assert all("envman-prod" not in leases(prod, c) for c in PROD_CLUSTERS)


@pytest.mark.synced
def test_kill_9_mid_upgrade_then_rerun_rolls_back_to_the_last_deployed_revision(
    prod: Fleet, tmp_path: Path
) -> None:
    fast(prod, "30s")
    deployed = history(prod, "prod-use1-canary", "api", "api")[-1]["revision"]
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    prod.sandbox.fail("prod-use1-canary", "api")
    run = Sync(prod)
    run.wait_for("release prod-use1-canary/api", "started")
    wait_until(lambda: history(prod, "prod-use1-canary", "api", "api")[-1]["status"] == "pending-upgrade")
    run.proc.kill()
    for pid in helm_children(prod.sandbox.kubeconfig):
        os.kill(pid, signal.SIGKILL)
    run.finish()
    assert history(prod, "prod-use1-canary", "api", "api")[-1]["status"] == "pending-upgrade"
    assert prod.envman("unlock", "prod").exit_code == 0
    rerun = prod.envman("sync", "prod", "--report", str(tmp_path / "rerun.json"))
    assert rerun.exit_code == 3, rerun.output
    doc = report(prod, tmp_path / "rerun.json")
    api = next(r for c in doc["waves"][0]["clusters"] for r in c["releases"] if r["app"] == "api")
    assert api["result"] == "rolled-back"
    assert f"rolled back to revision {deployed} " in api["rollback"]["detail"]
    last = history(prod, "prod-use1-canary", "api", "api")[-1]
    assert last["status"] == "deployed" and last["description"] == f"Rollback to {deployed}"
    assert helm_values(prod, "prod-use1-canary", "api", "api")["image"]["tag"] == "2.7.0"


@pytest.mark.synced
def test_ctrl_c_to_the_process_group_mid_upgrade_lets_helm_finish(prod: Fleet, tmp_path: Path) -> None:
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    out = tmp_path / "ctrl-c.json"
    run = Sync(prod, "--report", str(out), group=True)
    run.wait_for("release prod-use1-canary/api", "started")
    wait_until(lambda: history(prod, "prod-use1-canary", "api", "api")[-1]["status"] == "pending-upgrade")
    os.killpg(run.proc.pid, signal.SIGINT)
    text = run.finish()
    assert run.proc.returncode == 1, text
    assert "Traceback" not in text
    doc = report(prod, out)
    assert doc["result"] == "interrupted" and results(doc)["world"] == "not-started"
    last = history(prod, "prod-use1-canary", "api", "api")[-1]
    assert last["status"] == "deployed" and last["revision"] == len(
        history(prod, "prod-use1-canary", "api", "api")
    )
    assert helm_values(prod, "prod-use1-canary", "api", "api")["image"]["tag"] == "2.7.1"


@pytest.mark.synced
def test_second_ctrl_c_cancels_in_flight_helm_and_puts_the_release_back(prod: Fleet, tmp_path: Path) -> None:
    deployed = history(prod, "prod-use1-canary", "api", "api")[-1]["revision"]
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    prod.sandbox.fail("prod-use1-canary", "api")
    out = tmp_path / "twice.json"
    run = Sync(prod, "--report", str(out), group=True)
    run.wait_for("release prod-use1-canary/api", "started")
    wait_until(lambda: history(prod, "prod-use1-canary", "api", "api")[-1]["status"] == "pending-upgrade")
    os.killpg(run.proc.pid, signal.SIGINT)
    run.wait_for("run: stopping: no new work starts")
    os.killpg(run.proc.pid, signal.SIGINT)
    text = run.finish()
    assert run.proc.returncode == 1, text
    assert "Traceback" not in text and "run: cancelling" in text
    doc = report(prod, out)
    assert doc["result"] == "interrupted"
    assert "a second interrupt cancelled helm for prod-use1-canary/api, put back" in doc["error"]
    api = next(r for c in doc["waves"][0]["clusters"] for r in c["releases"] if r["app"] == "api")
    assert api["result"] == "rolled-back" and api["error"] == "upgrade cancelled by a second interrupt"
    last = history(prod, "prod-use1-canary", "api", "api")[-1]
    assert last["status"] == "deployed" and last["description"] == f"Rollback to {deployed}"
    assert helm_values(prod, "prod-use1-canary", "api", "api")["image"]["tag"] == "2.7.0"


@ONE_HELM
def test_cluster_unreachable_before_the_first_wave_changes_nothing_and_writes_the_report(
    prod: Fleet, proxy: Proxy, tmp_path: Path
) -> None:
    kubeconfig = proxied_kubeconfig(prod.sandbox.kubeconfig, proxy.upstream, proxy, tmp_path / "kubeconfig")
    proxy.cut()
    out = tmp_path / "unreachable.json"
    run = Sync(prod, "--report", str(out), kubeconfig=kubeconfig)
    text = run.finish()
    assert run.proc.returncode == 1, text
    assert "Traceback" not in text and "prod-euw1" in text
    doc = report(prod, out)
    assert doc["result"] == "error" and "cluster 'prod-euw1'" in doc["error"] and doc["waves"] == []
    for cluster in PROD_CLUSTERS:
        assert leases(prod, cluster) == []
        api = client.CoreV1Api(config.new_client_from_config(str(prod.sandbox.kubeconfig), context=cluster))
        assert api.list_secret_for_all_namespaces(label_selector="owner=helm").items == []
