"""`envman export ENV --to argocd [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import click

from envman.application.exporting import export_argocd
from envman.cli.root import State, cli, pass_state


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option(
    "--to",
    "target",
    type=click.Choice(["argocd"]),
    required=True,
    help="What to export to: argocd (Argo CD Applications).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<cluster>.yaml (default: argocd/ENV).",
)
@pass_state
def export(state: State, environment: str, target: str, out: Path | None) -> None:
    """The Argo CD Applications the argocd engine would apply, one file per cluster
    (DIR/<cluster>.yaml), for an app-of-apps to apply from git. Needs no cluster access.
    Dependency order is kept as sync-waves, waves as labels; gates, bake, approval and
    rollback come only with `envman sync`."""
    directory = out if out is not None else Path("argocd") / environment
    exported = export_argocd(state.app, environment, directory)
    for warning in exported.warnings:
        state.echo(f"warning: {warning}", err=True)
    for path in exported.files:
        state.echo(str(path))
    state.echo(
        f"wrote {exported.applications} Applications in {len(exported.files)} files under {directory}",
        err=True,
    )
