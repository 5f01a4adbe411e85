"""The envman command line: a thin click layer over the core and the drivers."""

from __future__ import annotations

from envman.cli import render, spec_commands
from envman.cli.root import cli

__all__ = ["cli", "main", "render", "spec_commands"]


def main() -> None:
    cli.main(prog_name="envman")
