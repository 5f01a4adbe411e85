"""The docs are part of the repository: README, ARCHITECTURE, docs/ and every --help stand
alone (no pointer outside the clone), the docs they name exist, and the README's command
table lists every command."""

from __future__ import annotations

import re

import click
import pytest

from envman.cli import cli
from tests.cli.every_command import every_command
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_doc_points_outside_the_repository(doc: object) -> None:
    text = doc.read_text()  # type: ignore[attr-defined]
    assert not OUTSIDE.search(text)
    for named in re.findall(r"`(docs/[\w.-]+\.md)`", text):
        assert (ROOT / named).is_file(), named


def test_no_help_text_points_outside_the_repository() -> None:
    ctx = click.Context(cli)
    for name, command in every_command().items():
        assert not OUTSIDE.search(command.get_help(click.Context(command, parent=ctx, info_name=name))), name


def test_the_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in every_command() if f"`envman {name}" not in readme]
    assert missing == []


def test_the_example_comments_name_commands_that_work_here() -> None:
    for path in (ROOT / "environments").glob("*.yaml"):
        assert "-C example" not in path.read_text(), path
