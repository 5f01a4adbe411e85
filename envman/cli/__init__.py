"""The envman command line: a thin click layer over the core and the drivers."""

from __future__ import annotations

from envman.cli import plan_commands, render, sandbox_commands, spec_commands
from envman.cli import promote as promote_cli  # noqa: F401  (registers `envman promote`)
from envman.cli.root import cli

__all__ = ["cli", "main", "plan_commands", "render", "sandbox_commands", "spec_commands"]


def main() -> None:
    cli.main(prog_name="envman")
