"""Command-line conventions: global options anywhere, label selectors, did-you-mean."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner, Result

from envman.application.app import Choice
from envman.cli import cli
from envman.cli.argv import split
from envman.spec.loader import load_environment
from tests.cli.every_command import every_command
from tests.conftest import EXAMPLE

SECRETS = {"API_DB_PASSWORD": "hunter2-api-secret", "POSTGRES_PASSWORD": "pg-s3cret-value"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=SECRETS)


def test_global_options_are_moved_in_front_of_the_command() -> None:
    assert split(["plan", "prod", "--no-color", "-C", "x", "-vv", "--kubeconfig=k", "--app", "api"]) == (
        ["--no-color", "-C", "x", "-vv", "--kubeconfig=k"],
        ["plan", "prod", "--app", "api"],
    )
    assert split(["render", "prod", "--", "--no-color"]) == ([], ["render", "prod", "--", "--no-color"])


def test_options_after_the_command_work() -> None:
    result = run("graph", "prod", "--no-color", "-C", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "canary" in result.stdout and "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    ("labels", "clusters"),
    [
        (("ring=canary",), ["prod-use1-canary"]),
        (("ring=ga",), ["prod-use1", "prod-euw1", "prod-euw1-b", "prod-apse1"]),
    ],
)
def test_label_selectors_choose_clusters(labels: tuple[str, ...], clusters: list[str]) -> None:
    env = load_environment(EXAMPLE, "prod")
    assert list(Choice(labels=labels).select(env).clusters) == clusters
    assert list(Choice(regions=("us-east-1",), labels=labels).select(env).clusters) == [
        c for c in clusters if c.startswith("prod-use1")
    ]


def test_an_unknown_label_key_gets_a_suggestion() -> None:
    result = run("--no-color", "-C", str(EXAMPLE), "plan", "prod", "--no-refresh", "-l", "rign=canary")
    assert result.exit_code == 1
    assert "--selector: no cluster has the label 'rign'; did you mean 'ring'?" in result.stderr


def test_a_selector_that_is_not_key_value_is_an_error() -> None:
    result = run("--no-color", "-C", str(EXAMPLE), "plan", "prod", "--no-refresh", "-l", "canary")
    assert result.exit_code == 1 and "--selector: 'canary' is not key=value" in result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("envman, version ")


def test_every_output_format_option_is_o_or_output() -> None:
    """One option style: a command with an output format takes `-o/--output` (`graph` keeps
    `--format` as an alias)."""

    formats = {
        name: param
        for name, command in every_command().items()
        for param in command.params
        if isinstance(param, click.Option)
        and isinstance(param.type, click.Choice)
        and {"--output", "--format"} & set(param.opts)
    }
    assert {"graph", "plan", "status", "history", "show"} <= set(formats)
    assert all({"-o", "--output"} <= set(p.opts) for p in formats.values()), formats
