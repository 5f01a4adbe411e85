"""`envman render`: helm template of every selected release with its layered values."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from envman.application.app import Choice
from envman.application.prepare_charts import prepare_charts
from envman.application.rendering import merged_values
from envman.application.rendering import render as render_releases
from envman.cli.root import State, cli, pass_state, selectors
from envman.kit.redact import redact_secret_data


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
    rendered = state.app.run(render_releases(state.app, environment, choice))
    redactor = state.app.redactor
    for release, manifest in rendered:
        text = manifest if show_secrets else redactor.text(redact_secret_data(manifest))
        if output_dir is None:
            state.echo(f"# envman: cluster={release.cluster} app={release.app} release={release.release}")
            if show_secrets:
                state.echo_unredacted(text.rstrip("\n"))
            else:
                state.echo(text.rstrip("\n"))
        else:
            target = output_dir / release.cluster / f"{release.release}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if output_dir is not None:
        state.echo(f"wrote {len(rendered)} manifests under {output_dir}", err=True)


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option("--cluster", required=True, help="The cluster of the release.")
@click.option("--app", "app_name", required=True, help="The app of the release.")
@pass_state
def values(state: State, environment: str, cluster: str, app_name: str) -> None:
    """The merged values of one release as helm gets them (chart defaults aside), YAML;
    secrets redacted (a secret whose source is not set here is left out)."""
    release = merged_values(state.app, environment, cluster, app_name)
    missing = [f"# not set here: {path}" for path in release.unresolved]
    state.echo("\n".join([*missing, yaml.safe_dump(release.values, sort_keys=False).rstrip("\n")]))


@cli.command()
@click.argument("environments", nargs=-1, metavar="[ENV]...")
@pass_state
def deps(state: State, environments: tuple[str, ...]) -> None:
    """Build the missing dependencies of local charts (helm dependency build, from Chart.lock
    when present) and fetch remote charts into the cache, for every (or each named)
    environment. plan, render and sync do this themselves when needed."""
    for line in state.app.run(prepare_charts(state.app, environments)):
        state.echo(line)
