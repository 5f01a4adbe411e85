"""`envman changed --base REF`: for CI to plan and sync only what a change affects."""

from __future__ import annotations

import click

from envman.application.changes import changed as affected
from envman.cli.root import State, cli, pass_state
from envman.output.changes_views import changes_json, changes_text


@cli.command()
@click.option(
    "--base",
    required=True,
    metavar="REF",
    help="Compare with the merge base of REF (a commit; not starting with '-') and HEAD.",
)
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "json", "names"]),
    default="text",
    show_default=True,
    help="names: one affected environment per line, for shell loops.",
)
@pass_state
def changed(state: State, base: str, fmt: str) -> None:
    """The environments, clusters and apps that the changes since REF affect (environment
    files, bases through `extends`, values files, local charts through the apps using them),
    judged by the layered result: offline, no cluster is contacted.

    The root may be a subdirectory of the git work tree (a monorepo): only what is under it
    is compared; symbolic links out of it are never followed. A shallow clone needs the
    merge base (`fetch-depth: 0`, or `git fetch --deepen`/`--unshallow`).
    """
    merge_base, changes = affected(state.root, base)
    if fmt == "names":
        if changes:
            state.echo("\n".join(c.name for c in changes))
        return
    state.echo((changes_json if fmt == "json" else changes_text)(merge_base, changes))
