"""The background sandbox: up (and reuse, and its .gitignore), status, fail/heal with their
modes, down, stale replacement."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from envman.sandbox import manager
from envman.sandbox.errors import SandboxError


def test_lifecycle(tmp_path: Path) -> None:
    info = manager.up(tmp_path, ["one", "two"], ready_delay=0.05)
    try:
        assert info.kubeconfig == tmp_path / ".envman/sandbox/kubeconfig"
        assert 'name: "two"' in info.kubeconfig.read_text()
        assert (tmp_path / ".envman" / ".gitignore").read_text() == "*\n"
        assert manager.up(tmp_path, ["two", "one"]).reused
        manager.fail(tmp_path, "one", "web")
        manager.fail(tmp_path, "two", mode="job-fail")
        manager.fail(tmp_path, "two", "web", mode="crash-loop")
        report = manager.status(tmp_path)
        assert report.running
        assert [(c.name, c.alive, c.failing) for c in report.clusters] == [
            ("one", True, (manager.Failing("web", "never-ready"),)),
            ("two", True, (manager.Failing(None, "job-fail"), manager.Failing("web", "crash-loop"))),
        ]
        with pytest.raises(SandboxError, match="unknown failure mode 'slow'"):
            manager.fail(tmp_path, "one", mode="slow")
        manager.heal(tmp_path, "one")
        with pytest.raises(SandboxError, match="no cluster 'three'"):
            manager.fail(tmp_path, "three")
        os.kill(info.pid, signal.SIGKILL)
        time.sleep(0.1)
        assert not manager.status(tmp_path).running
        replaced = manager.up(tmp_path, ["one", "two"], ready_delay=0.05)
        assert not replaced.reused
        assert replaced.pid != info.pid
    finally:
        manager.down(tmp_path)
    assert not manager.status(tmp_path).running
    with pytest.raises(SandboxError, match="no sandbox is running"):
        manager.heal(tmp_path, "one")


def test_up_with_an_argocd_hub(tmp_path: Path) -> None:
    from kubernetes import client, config

    from envman.sandbox.argocd.hub import HubSettings

    hub = HubSettings(destinations={"prod-one": "one"})
    with pytest.raises(SandboxError, match="the hub's destination 'three' is not a cluster of this sandbox"):
        manager.up(tmp_path, ["one"], hub=HubSettings(destinations={"x": "three"}))
    with pytest.raises(SandboxError, match="'one' is also a cluster of the environment"):
        manager.up(tmp_path, ["one"], hub=HubSettings(context="one"))
    info = manager.up(tmp_path, ["one", "two"], ready_delay=0.05, hub=hub)
    try:
        assert sorted(info.clusters) == ["argocd-hub", "one", "two"]
        assert 'name: "argocd-hub"' in info.kubeconfig.read_text()
        assert manager.up(tmp_path, ["one", "two"], hub=hub).reused
        api = config.new_client_from_config(str(info.kubeconfig), context="argocd-hub")  # type: ignore[no-untyped-call]
        secrets = client.CoreV1Api(api).list_namespaced_secret("argocd").items
        assert [s.metadata.name for s in secrets] == ["cluster-prod-one"]
        api.close()
        plain = manager.up(tmp_path, ["one", "two"], ready_delay=0.05)
        assert not plain.reused and sorted(plain.clusters) == ["one", "two"]
    finally:
        manager.down(tmp_path)
