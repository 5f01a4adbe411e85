"""Every command of the CLI, loaded (the group imports a command's module only when asked)."""

from __future__ import annotations

import click

from envman.cli import cli


def every_command() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    found = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}
