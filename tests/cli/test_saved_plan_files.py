"""`sync --plan FILE` with a file that is not a saved plan: exit 1 with a clear message, an
`error` report, never a traceback (no cluster is read: the file is checked first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from envman.cli import cli
from tests.conftest import copy_example

SAVED = {
    "kind": "envman-saved-plan",
    "version": 1,
    "environment": "prod",
    "selection": {"clusters": [], "regions": [], "apps": [], "labels": []},
    "prune": False,
    "spec_digest": "s",
    "live_digest": "l",
    "plan": {"waves": []},
}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[]", 'not a saved plan (no "kind": "envman-saved-plan")'),
        ('"a string"', 'not a saved plan (no "kind": "envman-saved-plan")'),
        ("{", "not a saved plan (not JSON: Expecting property name"),
        (json.dumps({**SAVED, "version": 2}), "a saved plan of version 2; this envman reads 1"),
        (json.dumps({**SAVED, "plan": []}), "a saved plan without its plan"),
        (
            json.dumps({**SAVED, "selection": {"clusters": "c1"}}),
            "not a saved plan (selection.clusters: Input should be a valid list",
        ),
        (
            json.dumps({**SAVED, "plan": {"waves": [{"name": "canary", "clusters": [{"name": 1}]}]}}),
            "not a saved plan (plan.waves.0.clusters.0.name: Input should be",
        ),
        (json.dumps({**SAVED, "kind": "other"}), 'not a saved plan (no "kind": "envman-saved-plan")'),
        (json.dumps({**SAVED, "environment": "staging"}), "is a plan of staging, not of prod"),
    ],
)
def test_a_file_that_is_not_a_saved_plan_is_a_clear_error(tmp_path: Path, content: str, says: str) -> None:
    root = copy_example(tmp_path / "repo")
    saved, report = tmp_path / "plan.json", tmp_path / "report.json"
    saved.write_text(content)
    result = CliRunner().invoke(
        cli,
        ["--no-color", "-C", str(root), "sync", "prod", "--plan", str(saved), "--report", str(report)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert says in result.stderr, result.stderr
    assert json.loads(report.read_text())["result"] == "error"
