"""The report file keeps text from outside exactly (JSON-escaped); the step summary shows it
inert."""

from __future__ import annotations

import json
from pathlib import Path

from envman.application.app import Application
from envman.application.syncing import write_reports
from envman.rollout.report import Report
from envman.rollout.results import RunResult
from tests.hostile import PAYLOAD, assert_inert


def test_the_report_is_exact_and_the_step_summary_inert(tmp_path: Path) -> None:
    summary, path = tmp_path / "summary.md", tmp_path / "report.json"
    app = Application(tmp_path, environ={"GITHUB_STEP_SUMMARY": str(summary)})
    report = Report("prod", RunResult.FAILED, [], error=f"wave canary: upgrade failed: {PAYLOAD}")

    write_reports(app, report, path)

    assert json.loads(path.read_text())["error"] == f"wave canary: upgrade failed: {PAYLOAD}"
    assert "\\u001b" in path.read_text()  # escaped, as JSON does
    assert_inert(summary.read_text())
    assert "hostile<" in summary.read_text()
