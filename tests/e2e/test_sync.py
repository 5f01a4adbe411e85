"""`envman sync` end to end: the example's prod on sandbox clusters with real helm."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import PROD_CLUSTERS, SECRETS, Fleet, fast, synced
from tests.e2e.health import health_endpoint

pytestmark = pytest.mark.helm
ENVMAN = Path(sys.executable).parent / "envman"


def report(prod: Fleet, path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def results(doc: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {w["name"]: w["result"] for w in doc["waves"]}


def test_full_sync_then_nothing_to_do(prod: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast(prod)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    first = prod.envman("sync", "prod", "--report", str(tmp_path / "1.json"))
    assert first.exit_code == 0, first.output
    doc = report(prod, tmp_path / "1.json")
    assert doc["result"] == "succeeded" and results(doc) == {
        "canary": "succeeded",
        "us": "succeeded",
        "world": "succeeded",
    }
    clusters = [c["name"] for w in doc["waves"] for c in w["clusters"]]
    assert clusters == PROD_CLUSTERS
    canary_gates = [(g["gate"], g["result"]) for g in doc["waves"][0]["gates"]]
    assert ("health", "passed") in canary_gates and ("helmTest", "passed") in canary_gates
    assert ("command", "passed") in canary_gates
    text = (tmp_path / "1.json").read_text()
    assert not any(secret in text for secret in SECRETS.values())
    assert summary.read_text().startswith("## ✅ envman sync prod: succeeded\n")
    assert not any(secret in summary.read_text() for secret in SECRETS.values())
    second = prod.envman("sync", "prod", "--report", str(tmp_path / "2.json"))
    assert second.exit_code == 0
    assert results(report(prod, tmp_path / "2.json")) == dict.fromkeys(("canary", "us", "world"), "unchanged")
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 0


@pytest.mark.synced
def test_failed_wave_rolls_back_and_rerun_resumes(prod: Fleet, tmp_path: Path) -> None:
    fast(prod, "15s")
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    prod.sandbox.fail("prod-use1")
    failed = prod.envman("sync", "prod", "--report", str(tmp_path / "failed.json"))
    assert failed.exit_code == 3, failed.output
    doc = report(prod, tmp_path / "failed.json")
    assert doc["result"] == "failed"
    assert results(doc) == {"canary": "succeeded", "us": "rolled-back", "world": "not-started"}
    api = next(r for r in doc["waves"][1]["clusters"][0]["releases"] if r["app"] == "api")
    assert api["result"] == "rolled-back"
    status = json.loads(prod.envman("status", "prod", "--cluster", "prod-use1", "-o", "json").stdout)
    api_status = next(r for r in status["releases"] if r["app"] == "api")
    assert (api_status["revision"], api_status["status"], api_status["healthy"]) == (3, "deployed", True)
    prod.sandbox.heal("prod-use1")
    resumed = prod.envman("sync", "prod", "--report", str(tmp_path / "resumed.json"))
    assert resumed.exit_code == 0, resumed.output
    assert results(report(prod, tmp_path / "resumed.json")) == {
        "canary": "unchanged",
        "us": "succeeded",
        "world": "succeeded",
    }


def test_concurrent_sync_fails_fast_naming_the_holder(prod: Fleet) -> None:
    fast(prod)
    first = subprocess.Popen(
        [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig), "sync", "prod"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ENVMAN_HELM": str(prod.helm)},
    )
    assert first.stderr is not None
    seen = []
    for line in first.stderr:  # wait until the first run holds the lock
        seen.append(line)
        if " lock: " in line:
            break
    second = prod.envman("sync", "prod", "--cluster", "prod-apse1")
    _, rest = first.communicate(timeout=300)
    assert first.returncode == 0, "".join(seen) + rest
    assert second.exit_code == 1, second.output
    assert re.search(r"environment lock held by \S+@\S+ \(pid \d+\) on cluster '", second.stderr), (
        second.stderr
    )
    assert "Traceback" not in second.output


def test_http_gate_failure_rolls_the_wave_back(prod: Fleet, tmp_path: Path) -> None:
    fast(prod)
    with health_endpoint() as (base, failing):
        gate = f'    - http: {{url: "{base}/{{cluster}}", expectStatus: 200, timeout: 3s}}\n'
        prod.edit(
            "environments/prod.yaml",
            "    - health: {timeout: 60s}\n",
            "    - health: {timeout: 60s}\n" + gate,
        )
        synced(prod)
        prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
        failing.add("prod-use1")
        failed = prod.envman("sync", "prod", "--report", str(tmp_path / "r.json"))
    assert failed.exit_code == 3, failed.output
    doc = report(prod, tmp_path / "r.json")
    assert results(doc) == {"canary": "succeeded", "us": "rolled-back", "world": "not-started"}
    http_gates = [g for g in doc["waves"][1]["gates"] if g["gate"] == "http"]
    assert [(g["cluster"], g["result"]) for g in http_gates] == [("prod-use1", "failed")]
    assert "status 503, expected 200" in http_gates[0]["detail"]


def test_interrupt_stops_new_work_and_writes_the_report(prod: Fleet, tmp_path: Path) -> None:
    fast(prod)
    prod.edit("environments/prod.yaml", "bake: 2s", "bake: 2m")
    report_file = tmp_path / "interrupted.json"
    argv = [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig)]
    run = subprocess.Popen(
        [*argv, "sync", "prod", "--report", str(report_file)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ENVMAN_HELM": str(prod.helm)},
    )
    assert run.stderr is not None
    for line in run.stderr:  # wait for the bake of the canary wave
        if "bake" in line and "started" in line:
            break
    run.send_signal(signal.SIGINT)
    _, rest = run.communicate(timeout=120)
    assert run.returncode == 1, rest
    doc = report(prod, report_file)
    assert doc["result"] == "interrupted"
    assert results(doc)["canary"] in ("interrupted", "succeeded") and results(doc)["world"] == "not-started"
    assert "Traceback" not in rest
