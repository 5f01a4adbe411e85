"""rollback, unlock, sync --dry-run and the sandbox commands, end to end."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.lock import LeaseLock, SyncHolder
from envman.adapters.target import ClusterTarget, KubeTarget
from envman.cli import cli
from tests.e2e.conftest import PROD_CLUSTERS, Fleet

pytestmark = pytest.mark.helm


def api_status(prod: Fleet, cluster: str) -> dict:  # type: ignore[type-arg]
    status = json.loads(prod.envman("status", "prod", "--cluster", cluster, "-o", "json").stdout)
    return next(r for r in status["releases"] if r["app"] == "api")  # type: ignore[no-any-return]


def test_rollback_returns_an_app_to_its_previous_revision(prod: Fleet) -> None:
    prod.apply("prod-use1")
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    prod.apply("prod-use1")
    assert api_status(prod, "prod-use1")["revision"] == 2
    result = prod.envman("rollback", "prod", "--app", "api", "--cluster", "prod-use1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("prod-use1: api succeeded: ")
    after = api_status(prod, "prod-use1")
    assert (after["revision"], after["status"], after["state"]) == (3, "deployed", "differs")
    result = prod.envman("rollback", "prod", "--app", "nope")
    assert result.exit_code == 1 and "unknown app 'nope'" in result.stderr


def test_unlock_removes_a_crashed_runs_lock(prod: Fleet) -> None:
    targets = [ClusterTarget(c, KubeTarget(prod.sandbox.kubeconfig, c)) for c in PROD_CLUSTERS]
    LeaseLock(KubeClients(), targets, "prod").acquire(SyncHolder("ci", "runner-7", 4242, "job-99"))
    report = prod.root / "blocked.json"
    blocked = prod.envman("sync", "prod", "--cluster", "prod-apse1", "--report", str(report))
    assert (
        blocked.exit_code == 1
        and "environment lock held by ci@runner-7 (pid 4242, CI job job-99)" in blocked.stderr
    )
    unlock = f"envman --no-color -C {prod.root} --kubeconfig {prod.sandbox.kubeconfig} unlock prod"
    assert f"or run `{unlock}`" in blocked.stderr
    doc = json.loads(report.read_text())
    assert doc["result"] == "error" and "held by ci@runner-7" in doc["error"]
    assert [w["result"] for w in doc["waves"]] == ["not-started"]
    result = prod.envman("unlock", "prod")
    assert result.exit_code == 0
    assert (
        result.stdout.splitlines()[0]
        == "removed the lock held by prod-apse1: ci@runner-7 (pid 4242, CI job job-99)"
    )
    assert prod.envman("unlock", "prod").stdout == "prod is not locked\n"


def test_sync_dry_run_changes_nothing(prod: Fleet) -> None:
    result = prod.envman("sync", "prod", "--dry-run")
    assert result.exit_code == 0 and "Plan for prod: 24 to install" in result.stdout
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 2


def test_the_approval_hint_is_a_complete_command_keeping_selectors_and_options(prod: Fleet) -> None:
    prod.edit("environments/prod.yaml", "# approval: true", "approval: true")
    first = prod.envman("sync", "prod", "--app", "web", "--approve", "canary")
    assert first.exit_code == 4, first.output
    hint = first.stderr.split("to continue: ")[-1].splitlines()[0]
    options = f"--no-color -C {prod.root} --kubeconfig {prod.sandbox.kubeconfig}"
    assert hint == f"envman {options} sync prod --app web --approve canary --approve us"
    wrong = prod.envman("sync", "prod", "--app", "web", "--approve", "uss")
    assert wrong.exit_code == 1 and "no wave named 'uss'; did you mean 'us'?" in wrong.stderr
    argv = shlex.split(hint)[1:]
    done = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    installed = [
        r["app"]
        for r in json.loads(prod.envman("status", "prod", "-o", "json").stdout)["releases"]
        if r["state"] != "not-installed"
    ]
    assert set(installed) == {"web"}
