"""Fail fast end to end: each `sandbox fail --mode` fails its wave in seconds with the right
reason, the wave rolls back per onFailure, and the next sync after `heal` succeeds."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Fleet, fast, synced
from tests.e2e.test_faults import history
from tests.e2e.test_sync import report, results

pytestmark = pytest.mark.helm

BAD_API = ('image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')


def release_record(doc: dict[str, Any], app: str) -> dict[str, Any]:
    return next(r for c in doc["waves"][0]["clusters"] for r in c["releases"] if r["app"] == app)


@pytest.mark.parametrize(
    ("mode", "app", "reasons"),
    [
        ("image-pull", "api", {"ErrImagePull", "ImagePullBackOff"}),
        ("crash-loop", "api", {"CrashLoopBackOff", "RestartedTooOften"}),
        ("unschedulable", "api", {"Unschedulable"}),
        # helm 4 may see the failed hook Job first: its error says `Job Failed`
        ("job-fail", "worker", {"BackoffLimitExceeded", "Job Failed"}),
    ],
)
def test_each_failure_mode_fails_the_wave_in_seconds_and_sync_after_heal_succeeds(
    prod: Fleet, tmp_path: Path, mode: str, app: str, reasons: set[str]
) -> None:
    fast(prod, "5m")  # helm's timeout stays long: fail fast, not helm, must end it
    prod.edit("environments/base.yaml", "rollout:\n", "rollout:\n  failFast: {unschedulable: 3s}\n")
    synced(prod)
    before = history(prod, "prod-use1-canary", app, "api")[-1]["revision"]
    prod.edit("environments/prod.yaml", *BAD_API)
    if app == "worker":
        prod.edit(
            "environments/prod.yaml",
            'image: {tag: "2.7.0"}\n      replicaCount: 3',
            'image: {tag: "2.7.1"}\n      replicaCount: 3',
        )
    prod.sandbox.fail("prod-use1-canary", app, mode=mode)
    started = time.monotonic()
    failed = prod.envman("sync", "prod", "--report", str(tmp_path / "failed.json"))
    seconds = time.monotonic() - started
    assert failed.exit_code == 3, failed.output
    assert seconds < 60, f"took {seconds:.0f}s: helm's timeout, not fail fast"
    doc = report(prod, tmp_path / "failed.json")
    assert results(doc) == {"canary": "rolled-back", "us": "not-started", "world": "not-started"}
    record = release_record(doc, app)
    assert record["result"] == "rolled-back", record
    assert any(reason in record["error"] for reason in reasons), record
    if record["failure"] is not None:  # helm may see a failed hook Job first
        assert record["failure"]["reason"] in reasons and record["failure"]["pod"]
    revisions = history(prod, "prod-use1-canary", app, "api")
    assert revisions[-1]["status"] == "deployed" and revisions[-1]["description"] == f"Rollback to {before}"
    assert all(not r["status"].startswith("pending") for r in revisions)
    assert failed.output.count("context deadline exceeded") == 0
    prod.sandbox.heal("prod-use1-canary")
    healed = prod.envman("sync", "prod", "--report", str(tmp_path / "healed.json"))
    assert healed.exit_code == 0, healed.output
    assert report(prod, tmp_path / "healed.json")["result"] == "succeeded"


@pytest.mark.synced
def test_never_ready_has_no_definitive_reason_and_waits_for_helms_timeout(
    prod: Fleet, tmp_path: Path
) -> None:
    fast(prod, "8s")
    prod.edit("environments/prod.yaml", *BAD_API)
    prod.sandbox.fail("prod-use1-canary", "api", mode="never-ready")
    failed = prod.envman("sync", "prod", "--report", str(tmp_path / "failed.json"))
    assert failed.exit_code == 3, failed.output
    assert "no definitive failure, helm's timeout decides" in failed.output
    record = release_record(report(prod, tmp_path / "failed.json"), "api")
    assert record["failure"] is None and record["result"] == "rolled-back"
    assert "context deadline exceeded" in record["error"] and record["helm_output"]
    said = [line for line in failed.output.splitlines() if "context deadline exceeded" in line]
    assert len(said) == 3, said  # helm's one line, never its whole output: the release, its wave, the end
    assert "release prod-use1-canary/api: failed" in said[0] and "wave canary: failed" in said[1]
    assert said[2].startswith("error: wave canary: upgrade of api on prod-use1-canary failed: helm: ")
    assert said[2].endswith("; rolled back on prod-use1-canary; report: " + str(tmp_path / "failed.json"))
