"""A CLI that starts at once: `--version`, `--help` and shell completion import click and the
command table only; `validate`, `graph` and `schema` never import the kubernetes client,
pyhelm3 or rich; the table names every command with its docstring's summary."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import envman.cli
from envman.cli import cli
from envman.cli.commands import COMMANDS
from tests.conftest import ROOT

HEAVY = ("envman.application", "pydantic", "ruamel", "kubernetes", "pyhelm3", "rich", "networkx", "yaml")
CLUSTER_LIBRARIES = ("kubernetes", "pyhelm3", "rich", "urllib3", "networkx")

PROBE = """
import json, sys
from envman.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="envman")
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("envman.")})),
      file=sys.stderr)
"""


def imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages (and envman modules) one run of envman imports."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_the_table_names_every_command_with_its_module_and_summary() -> None:
    for module in pkgutil.iter_modules(envman.cli.__path__):
        importlib.import_module(f"envman.cli.{module.name}")
    assert set(cli.commands) == set(COMMANDS)
    for name, command in cli.commands.items():
        module, summary = COMMANDS[name]
        assert command.callback is not None
        assert command.callback.__module__ == f"envman.cli.{module}", name
        assert summary == command.get_short_help_str(limit=10**6), f"{name}: update commands.COMMANDS"


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("sandbox", "--help")])
def test_version_and_help_import_no_command_module(args: tuple[str, ...]) -> None:
    found = imported(*args)
    if args[0] == "sandbox":  # its own help imports its own module, still nothing heavy
        assert "envman.cli.sandbox_commands" in found
        assert not found & {"kubernetes", "pyhelm3", "rich"}
    else:
        assert not {m for m in found if m.startswith(HEAVY)}, found


def test_shell_completion_of_a_command_name_imports_no_command_module() -> None:
    found = imported(env={"_ENVMAN_COMPLETE": "bash_complete", "COMP_WORDS": "envman pl", "COMP_CWORD": "1"})
    assert not {m for m in found if m.startswith(HEAVY) or m.startswith("envman.cli.plan")}, found


@pytest.mark.parametrize("args", [("validate",), ("graph", "prod"), ("schema",)])
def test_commands_without_clusters_never_import_cluster_libraries(args: tuple[str, ...]) -> None:
    assert not imported(*args) & set(CLUSTER_LIBRARIES)


def test_the_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    for name in COMMANDS:
        assert f"  {name} " in result.output
