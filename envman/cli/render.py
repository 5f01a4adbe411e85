"""`envman render`: helm template of every selected release with its layered values."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from envman.cli.root import Choice, State, cli, pass_state, selectors
from envman.kit.redact import Redactor, redact_secret_data
from envman.live_state import desired_state
from envman.rendering import render_with_helm


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<cluster>/<release>.yaml instead of printing.",
)
@click.option("--show-secrets", is_flag=True, help="Print secret values instead of <redacted>.")
@pass_state
def render(
    state: State,
    environment: str,
    choice: Choice,
    output_dir: Path | None,
    show_secrets: bool,
) -> None:
    """helm template of every selected release with its layered values (secrets redacted)."""
    fleet = state.fleet(environment)
    chosen = choice.select(fleet.env)
    redactor = Redactor()
    releases = [
        r for per_cluster in desired_state(fleet, chosen, redactor).values() for r in per_cluster.values()
    ]
    manifests = asyncio.run(render_with_helm(releases, hooks=True))
    for release, manifest in zip(releases, manifests, strict=True):
        text = manifest if show_secrets else redactor.text(redact_secret_data(manifest))
        if output_dir is None:
            state.echo(f"# envman: cluster={release.cluster} app={release.app} release={release.release}")
            state.echo(text.rstrip("\n"))
        else:
            target = output_dir / release.cluster / f"{release.release}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if output_dir is not None:
        state.echo(f"wrote {len(releases)} manifests under {output_dir}", err=True)
