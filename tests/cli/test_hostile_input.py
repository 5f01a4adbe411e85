"""Bad input is a located error in well under a second, never a traceback, a hang or a read
outside the repository; nothing is touched when the outputs cannot be written."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner, Result

from envman.cli import cli
from tests.repo_builder import write_repo

APP = "apps:\n  app: {chart: charts/app, namespace: %s}\n"
CLUSTERS = "clusters: {c1: {region: r}}\n"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--no-color", "-C", str(root), *args], catch_exceptions=False)


def test_yaml_alias_bomb_is_a_located_error_fast_and_other_files_still_validate(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    write_repo(
        tmp_path, {"environments/bomb.yaml": "\n".join(lines) + "\n", "environments/ok.yaml": CLUSTERS}
    )
    start = time.monotonic()
    result = run(tmp_path, "validate")
    assert time.monotonic() - start < 5
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "environments/bomb.yaml:" in result.stderr and "alias bomb" in result.stderr
    assert run(tmp_path, "validate", "ok").exit_code == 0


def test_600_deep_nesting_is_a_located_error(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/deep.yaml": "a: " + "[" * 600 + "]" * 600 + "\n"})
    result = run(tmp_path, "validate")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "environments/deep.yaml:1:1: nesting deeper than 100 levels" in result.stderr


def test_a_namespace_must_be_a_dns_label(tmp_path: Path) -> None:
    for bad in ("Bad_NS", "'x y'", "a/../b"):
        write_repo(tmp_path, {"environments/prod.yaml": CLUSTERS + APP % bad})
        result = run(tmp_path, "validate")
        assert result.exit_code == 1, bad
        assert "environments/prod.yaml:3:" in result.stderr and "is not a valid namespace" in result.stderr


def test_values_files_and_charts_outside_the_repository_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "kubeconfig"
    outside.write_text("token: runner-secret\n")
    root = tmp_path / "repo"
    write_repo(
        root,
        {
            "environments/prod.yaml": CLUSTERS
            + "apps:\n  app: {chart: charts/app, valuesFiles: [../kubeconfig, values/link.yaml]}\n"
            + "  other: {chart: ../elsewhere}\n"
        },
    )
    (root / "values").mkdir()
    (root / "values" / "link.yaml").symlink_to(outside)
    (root / "charts" / "app" / "templates" / "steal.yaml").symlink_to(outside)
    result = run(root, "validate")
    assert result.exit_code == 1 and "runner-secret" not in result.output
    assert "apps.app.valuesFiles: ../kubeconfig lies outside the repository" in result.stderr
    assert "apps.app.valuesFiles: values/link.yaml lies outside the repository" in result.stderr
    assert "charts/app/templates/steal.yaml links to a file outside the repository" in result.stderr
    assert "apps.other.chart: ../elsewhere lies outside the repository" in result.stderr


def test_a_malformed_kubeconfig_is_an_error_naming_it(tmp_path: Path) -> None:
    for text in ("- a\n- b\n", "apiVersion: v1\nclusters: [\n"):
        write_repo(tmp_path, {"environments/prod.yaml": "clusters: {c1: {region: r, kubeconfig: kc.yaml}}\n"})
        (tmp_path / "kc.yaml").write_text(text)
        result = run(tmp_path, "plan", "prod")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"the kubeconfig {tmp_path / 'kc.yaml'} is not valid" in result.stderr  # relative to the root


def test_unwritable_report_or_step_summary_stop_the_sync_before_anything(
    tmp_path: Path, monkeypatch: object
) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": "clusters: {c1: {region: r, context: nowhere}}\n"})
    result = run(tmp_path, "sync", "prod", "--report", str(tmp_path / "no" / "such" / "r.json"))
    assert result.exit_code == 1
    assert "--report" in result.stderr and "cannot write there" in result.stderr
    assert "nowhere" not in result.stderr  # refused before any cluster was asked
    result = CliRunner().invoke(
        cli,
        ["-C", str(tmp_path), "sync", "prod"],
        env={"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")},
        catch_exceptions=False,
    )
    assert result.exit_code == 1 and "$GITHUB_STEP_SUMMARY" in result.stderr
