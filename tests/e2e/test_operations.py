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
from tests.e2e.test_faults import helm_values, history
from tests.promote.gitrepo import git, init_repo

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


def test_history_shows_each_revision_with_the_commit_it_was_synced_from(prod: Fleet) -> None:
    init_repo(prod.root)
    head = git(prod.root, "rev-parse", "HEAD").strip()
    assert prod.envman("sync", "prod", "--cluster", "prod-use1").exit_code == 0
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    assert prod.envman("sync", "prod", "--cluster", "prod-use1").exit_code == 0
    result = prod.envman("history", "prod", "--app", "api", "--cluster", "prod-use1", "-o", "json")
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.stdout)
    assert [(r["revision"], r["status"], r["commit"]) for r in found["revisions"]] == [
        (1, "superseded", head),
        (2, "deployed", f"{head}-dirty"),
    ]
    text = prod.envman("history", "prod", "--app", "api", "--cluster", "prod-use1").stdout
    assert text.splitlines()[0] == "prod-use1: api/api"
    assert f"{head[:12]}-dirty" in text.splitlines()[-1]
    assert api_status(prod, "prod-use1")["commit"] == f"{head}-dirty"
    assert "wave us: verified for what runs" in prod.envman("status", "prod", "--cluster", "prod-use1").stdout


def test_after_a_manual_rollback_history_shows_it_and_the_wave_is_no_longer_verified(prod: Fleet) -> None:
    """`envman rollback` puts the canary back to the old image: history says `Rollback to 1`
    with the images of each revision, and status no longer calls the wave verified."""
    for tag in ("2.7.0", "2.7.1"):
        prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', f'image: {{tag: "{tag}"}}      #')
        assert prod.envman("sync", "prod", "--cluster", "prod-use1").exit_code == 0
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.1"}      #', 'image: {tag: "2.7.2"}      #')
    spec_moved = prod.envman("status", "prod", "--cluster", "prod-use1").stdout
    assert "wave us: verified for what runs" in spec_moved  # what runs is still what passed
    assert '    differs: image.tag: "2.7.1" -> "2.7.2"' in spec_moved.splitlines()
    assert prod.envman("rollback", "prod", "--app", "api", "--cluster", "prod-use1").exit_code == 0
    lines = prod.envman("history", "prod", "--app", "api", "--cluster", "prod-use1").stdout.splitlines()
    assert lines[1].split()[:3] == ["REVISION", "UPDATED", "STATUS"] and "DESCRIPTION" in lines[1]
    assert "Rollback to 1" in lines[-1] and lines[-1].endswith("ghcr.io/example/api:2.7.0")
    assert lines[-2].endswith("ghcr.io/example/api:2.7.1") and "Upgrade complete" in lines[-2]
    (found,) = json.loads(
        prod.envman("history", "prod", "--app", "api", "--cluster", "prod-use1", "-o", "json").stdout
    )
    assert found["revisions"][-1]["description"] == "Rollback to 1"
    assert found["revisions"][-1]["images"] == ["ghcr.io/example/api:2.7.0"]
    status = prod.envman("status", "prod", "--cluster", "prod-use1").stdout
    assert "wave us: not verified for what runs (its gates did not pass for: api on prod-use1)" in status
    assert '    differs: image.tag: "2.7.0" -> "2.7.2"' in status.splitlines()
    doc = json.loads(prod.envman("status", "prod", "--cluster", "prod-use1", "-o", "json").stdout)
    assert [(w["name"], w["verified"], w["unverified"]) for w in doc["waves"]] == [
        ("us", False, ["api on prod-use1"])
    ]


def test_rollback_to_a_revision_under_the_lock(prod: Fleet) -> None:
    prod.apply("prod-use1")
    for old, new in (("2.7.0", "2.7.1"), ("2.7.1", "2.7.2")):
        prod.edit(
            "environments/prod.yaml", f'image: {{tag: "{old}"}}      #', f'image: {{tag: "{new}"}}      #'
        )
        prod.apply("prod-use1")
    assert api_status(prod, "prod-use1")["revision"] == 3
    missing = prod.envman("rollback", "prod", "--app", "api", "--cluster", "prod-use1", "--to-revision", "9")
    assert missing.exit_code == 1 and "prod-use1: no revision 9 (helm holds 1, 2, 3)" in missing.stderr
    targets = [ClusterTarget(c, KubeTarget(prod.sandbox.kubeconfig, c)) for c in PROD_CLUSTERS]
    held = LeaseLock(KubeClients(), targets, "prod")
    held.acquire(SyncHolder("ci", "runner-7", 4242))
    blocked = prod.envman("rollback", "prod", "--app", "api", "--cluster", "prod-use1", "--to-revision", "1")
    assert blocked.exit_code == 1 and "environment lock held by ci@runner-7" in blocked.stderr
    held.release()
    done = prod.envman("rollback", "prod", "--app", "api", "--cluster", "prod-use1", "--to-revision", "1")
    assert done.exit_code == 0, done.output
    assert "rolled back from revision 3 to 1 (now revision 4)" in done.stdout
    assert history(prod, "prod-use1", "api", "api")[-1]["description"] == "Rollback to 1"
    assert helm_values(prod, "prod-use1", "api", "api")["image"]["tag"] == "2.7.0"
