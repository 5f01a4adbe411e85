"""`envman show FILE`: a saved plan printed as `plan` printed it; anything else is a clear
exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from envman.application.saved_plans import KIND, VERSION
from envman.cli import cli
from envman.output.plan_views import json_view, markdown_view, text_view
from envman.plan.model import Plan
from tests.output.test_plan_views import fleet, mixed  # noqa: F401 (fixtures)

HEAD: dict[str, Any] = {
    "kind": KIND,
    "version": VERSION,
    "environment": "prod",
    "selection": {"clusters": [], "regions": [], "apps": [], "labels": []},
    "prune": False,
    "spec_digest": "0" * 64,
    "live_digest": "0" * 64,
}


def plain(text: str, **_: Any) -> str:
    return text


def show(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--no-color", "-C", str(root), "show", *args], catch_exceptions=False)


def saved(path: Path, plan: Plan) -> Path:
    doc = {**HEAD, "plan": json.loads(json_view(plan))}
    path.write_text(json.dumps(doc))
    return path


def test_a_saved_plan_shows_as_plan_printed_it(tmp_path: Path, mixed: Plan) -> None:  # noqa: F811
    file = saved(tmp_path / "prod.plan.json", mixed)
    text = show(tmp_path, str(file))
    assert text.exit_code == 0, text.output
    assert text.stdout == text_view(mixed, plain) + "\n"
    assert f"apply it with `envman sync prod --plan {file}`" in text.stderr
    assert show(tmp_path, str(file), "-o", "markdown").stdout == markdown_view(mixed) + "\n"
    assert json.loads(show(tmp_path, str(file), "-o", "json").stdout) == json.loads(json_view(mixed))


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("clusters: {}\n", "not a saved plan (not JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\xff", "not a saved plan (not text)"),
        ("[1, 2]", 'not a saved plan (no "kind": "envman-saved-plan")'),
        ('{"kind": "envman-saved-plan", "version": 99}', "a saved plan of version 99; this envman reads 1"),
        ('{"kind": "envman-saved-plan", "version": 1}', "a saved plan without its plan"),
        (
            json.dumps({**HEAD, "plan": {"waves": [{"name": "canary", "clusters": 3}]}}),
            "not a saved plan (plan.waves.0.clusters: Input should be a valid list)",
        ),
        (  # what `sync --plan` would refuse, `show` refuses too
            json.dumps({**HEAD, "selection": "x", "plan": {"waves": []}}),
            "not a saved plan (selection: Input should be a valid dictionary",
        ),
    ],
)
def test_a_file_that_is_not_a_saved_plan_is_a_clear_error(
    tmp_path: Path, content: str | bytes, said: str
) -> None:
    file = tmp_path / "file"
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = show(tmp_path, str(file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: show {file}: {said}"), result.stderr


def test_a_missing_file(tmp_path: Path) -> None:
    result = show(tmp_path, str(tmp_path / "nope.json"))
    assert (
        result.exit_code == 1
        and result.stderr
        == f"error: show {tmp_path / 'nope.json'}: cannot read it: No such file or directory\n"
    )
