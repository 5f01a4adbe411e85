"""Saved plans (`plan --out`, `sync --plan`) and the question on a terminal, end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Fleet
from tests.e2e.terminal import answer
from tests.e2e.test_faults import helm_values, history

pytestmark = pytest.mark.helm
BUMP = ('image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')


@pytest.mark.synced
def test_sync_applies_exactly_a_saved_plan(prod: Fleet, tmp_path: Path) -> None:
    prod.edit("environments/prod.yaml", *BUMP)
    saved = tmp_path / "prod.plan.json"
    planned = prod.envman("plan", "prod", "--app", "api", "--out", str(saved))
    assert planned.exit_code == 0, planned.output
    doc = json.loads(saved.read_text())
    assert doc["kind"] == "envman-saved-plan" and doc["selection"]["apps"] == ["api"]
    assert doc["plan"]["summary"]["upgrade"] == 5
    assert "hunter2" not in saved.read_text()
    applied = prod.envman("sync", "prod", "--plan", str(saved))
    assert applied.exit_code == 0, applied.output
    assert helm_values(prod, "prod-apse1", "api", "api")["image"]["tag"] == "2.7.1"
    again = prod.envman("sync", "prod", "--plan", str(saved))
    assert again.exit_code == 1 and "the live state changed since the plan was saved" in again.stderr


@pytest.mark.synced
def test_a_saved_plan_is_refused_when_the_spec_moved(prod: Fleet, tmp_path: Path) -> None:
    saved = tmp_path / "prod.plan.json"
    prod.edit("environments/prod.yaml", *BUMP)
    assert prod.envman("plan", "prod", "--out", str(saved)).exit_code == 0
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.1"}', 'image: {tag: "2.7.2"}')
    before = history(prod, "prod-use1-canary", "api", "api")
    report = tmp_path / "report.json"
    refused = prod.envman("sync", "prod", "--plan", str(saved), "--report", str(report))
    assert refused.exit_code == 1
    assert "the spec changed since the plan was saved; nothing was changed" in refused.stderr
    assert history(prod, "prod-use1-canary", "api", "api") == before
    assert json.loads(report.read_text())["result"] == "error"


@pytest.mark.synced
def test_a_saved_plan_is_refused_when_the_live_state_moved(prod: Fleet, tmp_path: Path) -> None:
    saved = tmp_path / "prod.plan.json"
    assert prod.envman("plan", "prod", "--out", str(saved)).exit_code == 0
    prod.run_helm(
        "prod-euw1", "upgrade", "web", str(prod.root / "charts" / "web"), "-n", "web", "--reuse-values"
    )
    refused = prod.envman("sync", "prod", "--plan", str(saved))
    assert refused.exit_code == 1 and "the live state changed" in refused.stderr
    wrong = prod.envman("sync", "prod", "--plan", str(saved), "--app", "api")
    assert wrong.exit_code == 1 and "--plan takes its selection from the saved plan" in wrong.stderr


def test_on_a_terminal_sync_shows_the_plan_and_asks(prod: Fleet) -> None:
    args = ["sync", "prod", "--cluster", "prod-apse1"]
    code, text = answer(prod, args, b"Apply this plan to prod? [y/N]", b"n\n")
    assert code == 1
    assert "Plan for prod" in text and "prod-apse1" in text
    assert history_or_none(prod) is None


def history_or_none(prod: Fleet) -> object:
    try:
        return history(prod, "prod-apse1", "api", "api")
    except subprocess.CalledProcessError:
        return None
