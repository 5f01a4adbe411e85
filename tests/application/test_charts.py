"""The content digest of a local chart: what helm packages, .helmignore respected."""

from __future__ import annotations

import shutil
from pathlib import Path

from envman.application.charts import chart_digest, packaged_files
from tests.conftest import ROOT


def chart(tmp_path: Path) -> Path:
    target = tmp_path / "web"
    shutil.copytree(ROOT / "charts" / "web", target)
    return target


def digest(path: Path) -> str:
    return chart_digest(path)


def test_a_template_or_a_default_changes_the_digest(tmp_path: Path) -> None:
    web = chart(tmp_path)
    first = digest(web)
    assert len(first) == 40 and digest(web) == first
    (web / "templates" / "deployment.yaml").write_text(
        (web / "templates" / "deployment.yaml").read_text() + "\n#\n"
    )
    second = digest(web)
    (web / "values.yaml").write_text((web / "values.yaml").read_text() + "\nextra: 1\n")
    assert len({first, second, digest(web)}) == 3


def test_ignored_and_hidden_template_files_do_not_count_and_vendored_charts_do(tmp_path: Path) -> None:
    web = chart(tmp_path)
    (web / ".helmignore").write_text("*.bak\nnotes/\n")
    before = digest(web)
    (web / "old.bak").write_text("x")
    (web / "notes").mkdir()
    (web / "notes" / "todo.md").write_text("x")
    (web / "templates" / ".swap").write_text("x")
    assert digest(web) == before
    (web / "charts" / "dep").mkdir(parents=True)
    (web / "charts" / "dep" / "Chart.yaml").write_text("name: dep\nversion: 1.0.0\n")
    assert digest(web) != before
    names = [p.relative_to(web).as_posix() for p in packaged_files(web)]
    assert "charts/dep/Chart.yaml" in names and "old.bak" not in names and "notes/todo.md" not in names
