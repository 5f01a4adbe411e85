"""The envman command line: a thin click layer over the core and the drivers.

Each command module registers its commands on the `cli` group when imported.
"""

from __future__ import annotations

from envman.cli import (  # noqa: F401  (imported to register their commands)
    changed,
    diff_status,
    export_commands,
    plan_commands,
    promote,
    render,
    sandbox_commands,
    spec_commands,
    sync_commands,
)
from envman.cli.root import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli.main(prog_name="envman")
