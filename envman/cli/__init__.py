"""The envman command line: a thin click layer over the core and the drivers."""

from __future__ import annotations

from envman.cli import diff_status, plan_commands, render, sandbox_commands, spec_commands
from envman.cli import promote as promote_cli  # noqa: F401  (registers `envman promote`)
from envman.cli.root import cli

__all__ = ["cli", "diff_status", "main", "plan_commands", "render", "sandbox_commands", "spec_commands"]


def main() -> None:
    cli.main(prog_name="envman")
