"""A dotted key in `values` is a located warning with the nested form it likely meant."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from envman.cli import cli
from tests.plan.builders import PROD, environment

DOTTED = (
    PROD.replace(
        '      image: {repository: api, tag: "2.7.0"}\n',
        '      image: {repository: api, tag: "2.7.0"}\n'
        '      image.tag: "9.9"\n'
        "      podAnnotations: {prometheus.io/scrape: 'true', team.name: x}\n"
        "      settings: {spring.datasource.url: jdbc}\n",
    )
    .replace(
        "resources: {limits: {cpu: 1, memory: 1Gi}}", "resources: {limits: {cpu: 1}, limits.memory: 1Gi}"
    )
    .replace(
        "use1-canary: {values: {replicaCount: 1}}", "use1-canary: {values: {replicaCount: 1, a.b.c: {d: 1}}}"
    )
)


def test_dotted_keys_are_warned_about_where_they_are_written(tmp_path: Path) -> None:
    env = environment(tmp_path, DOTTED)
    shown = [str(w) for w in env.warnings]
    assert shown == [
        "environments/prod.yaml:18:7: apps.api.values: 'image.tag' is one key with a dot in it, not a path; "
        'did you mean `image: {tag: "9.9"}`?',
        "environments/prod.yaml:22:37: apps.api.values.resources: 'limits.memory' is one key with a dot in "
        'it, not a path; did you mean `limits: {memory: "1Gi"}`?',
        "environments/prod.yaml:26:47: apps.api.clusters.use1-canary.values: 'a.b.c' is one key with a dot "
        "in it, not a path; did you mean `a: {b: {c: …}}`?",
    ]


def test_names_with_dots_on_purpose_are_not_warned_about(tmp_path: Path) -> None:
    assert environment(tmp_path, PROD).warnings == []


def test_validate_and_every_command_that_loads_warn_once(tmp_path: Path) -> None:
    environment(tmp_path, DOTTED)
    (tmp_path / "charts" / "app").mkdir(parents=True, exist_ok=True)
    (tmp_path / "charts" / "app" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    for args in (["validate"], ["graph", "prod"], ["plan", "prod", "--no-refresh"]):
        result = CliRunner().invoke(cli, ["--no-color", "-C", str(tmp_path), *args], catch_exceptions=False)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
        assert len(warnings) == 3, (args, result.output)
        assert warnings[0].startswith("warning: environments/prod.yaml:18:7: apps.api.values: 'image.tag'")
