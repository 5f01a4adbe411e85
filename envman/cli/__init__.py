"""The envman command line: a thin click layer over the core and the drivers.

Each command module registers its commands on the `cli` group when imported.
"""

from __future__ import annotations

from envman.cli import (
    diff_status,
    plan_commands,
    promote,
    render,
    sandbox_commands,
    spec_commands,
    sync_commands,
)
from envman.cli.root import cli

COMMAND_MODULES = (
    diff_status,
    plan_commands,
    promote,
    render,
    sandbox_commands,
    spec_commands,
    sync_commands,
)
__all__ = ["COMMAND_MODULES", "cli", "main"]


def main() -> None:
    cli.main(prog_name="envman")
