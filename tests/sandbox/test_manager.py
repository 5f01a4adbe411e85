"""The background sandboxes: up (and reuse, and its .gitignore), several environments side by
side in one kubeconfig, status, fail/heal with their modes, down of one or all, stale
replacement."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from kubernetes import config

from envman.sandbox import kubeconfig, manager
from envman.sandbox.errors import SandboxError


def _contexts(path: Path) -> list[str]:
    contexts, _ = config.list_kube_config_contexts(str(path))  # type: ignore[no-untyped-call]
    return [c["name"] for c in contexts]


def test_lifecycle(tmp_path: Path) -> None:
    info = manager.up(tmp_path, ["one", "two"], environment="dev", ready_delay=0.05)
    try:
        assert info.kubeconfig == tmp_path / ".envman/sandbox/kubeconfig"
        assert 'name: "two"' in info.kubeconfig.read_text()
        assert (tmp_path / ".envman" / ".gitignore").read_text() == "*\n"
        assert manager.up(tmp_path, ["two", "one"], environment="dev").reused
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
        with pytest.raises(SandboxError, match="no cluster 'tow'; did you mean 'two'"):
            manager.fail(tmp_path, "tow")
        os.kill(info.pid, signal.SIGKILL)
        time.sleep(0.1)
        assert not manager.status(tmp_path).running
        replaced = manager.up(tmp_path, ["one", "two"], environment="dev", ready_delay=0.05)
        assert not replaced.reused
        assert replaced.pid != info.pid
    finally:
        manager.down(tmp_path)
    assert not manager.status(tmp_path).running
    assert not (tmp_path / ".envman/sandbox/kubeconfig").exists()
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


def test_environments_run_side_by_side_in_one_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / ".envman/sandbox/kubeconfig"
    prod = manager.up(tmp_path, ["prod-a", "prod-b"], environment="prod", ready_delay=0.05)
    try:
        staging = manager.up(tmp_path, ["staging-a"], environment="staging", ready_delay=0.05)
        assert staging.kubeconfig == prod.kubeconfig == path and staging.pid != prod.pid
        assert _contexts(path) == ["prod-a", "prod-b", "staging-a"]
        assert kubeconfig.current_context(path) == "staging-a"
        assert manager.up(tmp_path, ["prod-a", "prod-b"], environment="prod").reused  # not stopped
        assert kubeconfig.current_context(path) == "prod-a"
        with pytest.raises(
            SandboxError, match="'prod-b' is already served by the sandbox of environment 'prod'"
        ):
            manager.up(tmp_path, ["prod-b", "dev-a"], environment="dev")
        report = manager.status(tmp_path)
        assert [(e.name, e.running, [c.name for c in e.clusters]) for e in report.environments] == [
            ("prod", True, ["prod-a", "prod-b"]),
            ("staging", True, ["staging-a"]),
        ]
        assert manager.served(tmp_path) == {"prod-a": "prod", "prod-b": "prod", "staging-a": "staging"}
        manager.fail(tmp_path, "staging-a", "web")
        assert manager.down(tmp_path, "prod") == ["prod"]
        assert _contexts(path) == ["staging-a"] and kubeconfig.current_context(path) == "staging-a"
        assert manager.status(tmp_path).environments[0].clusters[0].failing == (
            manager.Failing("web", "never-ready"),
        )
        assert manager.down(tmp_path, "prod") == []
    finally:
        assert manager.down(tmp_path) == ["staging"]
    assert manager.status(tmp_path).environments == ()
