"""Every file envman writes passes the one redacting sink stdout passes (`Application.write`):
the report, the step summary, a saved plan, rendered manifests, exported Applications."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from envman.application.app import Application
from envman.application.syncing import write_reports
from envman.rollout.report import Report
from envman.rollout.results import RunResult

SECRET = "pg-s3cret-value-77"


def test_the_report_and_the_step_summary_hold_no_secret_in_any_encoding(tmp_path: Path) -> None:
    summary, path = tmp_path / "summary.md", tmp_path / "report.json"
    app = Application(tmp_path, environ={"GITHUB_STEP_SUMMARY": str(summary)})
    app.redactor.add([SECRET])
    encoded = base64.b64encode(SECRET.encode()).decode()
    report = Report("prod", RunResult.FAILED, [], error=f"helm said {SECRET} and {encoded}")

    write_reports(app, report, path)
    write_reports(app, report, path)  # the summary is appended to, the report replaced

    for file in (path, summary):
        text = file.read_text()
        assert SECRET not in text and encoded not in text and "<redacted>" in text
    assert json.loads(path.read_text())["error"] == "helm said <redacted> and <redacted>"
    assert summary.read_text().count("envman sync prod") == 2


def test_a_file_written_by_the_application_is_redacted_and_can_be_appended(tmp_path: Path) -> None:
    app = Application(tmp_path)
    app.redactor.add([SECRET])
    target = tmp_path / "out.txt"
    app.write(target, f"a: {SECRET}\n")
    app.write(target, f"b: {json.dumps(SECRET)}\n", append=True)
    assert target.read_text() == 'a: <redacted>\nb: "<redacted>"\n'
