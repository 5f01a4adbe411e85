"""The envman command line: a thin click layer over the core and the drivers.

`cli` is the group; each command's module (listed in `commands.COMMANDS`) registers it when
imported, which happens only when that command runs.
"""

from __future__ import annotations

from envman.cli.root import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli.main(prog_name="envman")
