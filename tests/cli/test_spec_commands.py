"""validate, graph, schema and render through the click CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from envman.cli import cli
from tests.conftest import EXAMPLE, copy_example
from tests.repo_builder import write_repo

SECRETS = {"API_DB_PASSWORD": "hunter2-api-secret", "POSTGRES_PASSWORD": "pg-s3cret-value"}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def test_validate_example() -> None:
    result = run("-C", str(EXAMPLE), "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ok base (base)",
        "ok dev (1 clusters, 5 apps)",
        "ok prod (5 clusters, 5 apps)",
        "ok prod-argocd (3 clusters, 5 apps)",
        "ok staging (2 clusters, 5 apps)",
    ]


def test_root_is_found_from_a_subdirectory_as_git_finds_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_example(tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo" / "charts" / "api" / "templates")
    result = run("validate", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok prod (5 clusters, 5 apps)\n"


def test_without_environments_anywhere_the_error_names_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--no-color", "validate")
    assert result.exit_code == 1
    assert "environments" in result.stderr and "Traceback" not in result.output


def test_validate_reports_every_problem_without_traceback(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "environments/prod.yaml": "clusters:\n  a: {regon: x}\napps:\n  api: {chart: charts/app, needs: [db]}\n",
            "environments/dev.yaml": "clusters: [\n",
        },
    )
    result = run("--no-color", "-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "error: environments/dev.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'",
        "error: environments/prod.yaml:2:3: missing required key 'region' in clusters.a",
        "error: environments/prod.yaml:2:7: unknown key 'regon' in clusters.a; did you mean 'region'?",
        "3 problems found",
    ]


def test_usage_errors_exit_1(tmp_path: Path) -> None:
    assert run("graph").exit_code == 1
    assert run("-C", str(EXAMPLE), "graph", "prod", "--format", "png").exit_code == 1


def test_unknown_and_abstract_environments(tmp_path: Path) -> None:
    result = run("--no-color", "-C", str(EXAMPLE), "graph", "prd")
    assert result.exit_code == 1
    assert result.stderr == "error: environments/: unknown environment 'prd'; did you mean 'prod'?\n"
    result = run("--no-color", "-C", str(EXAMPLE), "graph", "base")
    assert result.exit_code == 1 and "is abstract" in result.stderr


def test_graph_text_shows_layers_then_waves() -> None:
    result = run("-C", str(EXAMPLE), "graph", "prod")
    assert result.exit_code == 0
    text = result.stdout
    assert "  1. platform-crds, postgres\n  2. api  (after platform-crds, postgres)\n" in text
    assert text.index("1. canary") < text.index("2. us") < text.index("3. world")
    assert "- prod-apse1 [ap-southeast-1]  (not deployed: web)" in text


@pytest.mark.parametrize(
    ("fmt", "needle"), [("dot", '"api" -> "worker";'), ("mermaid", "app_api --> app_worker")]
)
def test_graph_dot_and_mermaid(fmt: str, needle: str) -> None:
    result = run("-C", str(EXAMPLE), "graph", "prod", "-o", fmt)
    assert result.exit_code == 0 and needle in result.stdout
    assert run("-C", str(EXAMPLE), "graph", "prod", "--format", fmt).stdout == result.stdout  # the old name


def test_schema_is_json_schema_of_the_spec() -> None:
    schema = json.loads(run("schema").stdout)
    assert schema["title"] == "envman environment"
    assert set(schema["properties"]) == {
        "$schema",
        "extends",
        "abstract",
        "repositories",
        "clusters",
        "apps",
        "rollout",
    }
    assert schema["$defs"]["App"]["additionalProperties"] is False


def _properties(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    found = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            found.append((f"{path}.{name}", prop))
        for key, child in node.items():
            found += _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for child in node:
            found += _properties(child, path)
    return found


def test_every_property_of_the_schema_has_a_description() -> None:
    schema = json.loads(run("schema").stdout)
    props = _properties(schema)
    assert len(props) > 60
    assert [path for path, prop in props if not prop.get("description")] == []


def test_check_jsonschema_accepts_every_example_file_as_written(tmp_path: Path) -> None:
    copy_example(tmp_path)
    schema = tmp_path / "envman.schema.json"
    schema.write_text(run("schema").stdout)
    prod = tmp_path / "environments" / "prod.yaml"
    prod.write_text("$schema: ../envman.schema.json\n" + prod.read_text())
    files = sorted(str(p) for p in (tmp_path / "environments").glob("*.yaml"))
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--schemafile", str(schema), *files], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert run("-C", str(tmp_path), "validate", "prod").exit_code == 0
    prod.write_text(prod.read_text().replace("region: us-east-1", "regoin: us-east-1", 1))
    bad = subprocess.run(
        [str(checker), "--schemafile", str(schema), str(prod)], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "regoin" in bad.stdout


def test_render_needs_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTGRES_PASSWORD", raising=False)
    result = run("--no-color", "-C", str(EXAMPLE), "render", "prod", "--app", "postgres")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: environments/prod.yaml:40:22: app 'postgres': secret auth.password: "
        "environment variable POSTGRES_PASSWORD is not set\n"
    )


def test_render_selectors_are_checked() -> None:
    result = run("--no-color", "-C", str(EXAMPLE), "render", "prod", "--cluster", "prod-euw2", env=SECRETS)
    assert result.exit_code == 1
    assert result.stderr == "error: --cluster: unknown cluster 'prod-euw2'; did you mean 'prod-euw1'?\n"


@pytest.mark.helm
def test_render_example_with_real_helm(helm_binary: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("-C", str(EXAMPLE), "render", "prod", "--output-dir", str(out), env=SECRETS)
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert len(files) == 24 and "prod-apse1/web.yaml" not in files
    canary_api = (out / "prod-use1-canary" / "api.yaml").read_text()
    assert "replicas: 1" in canary_api and "kind: HorizontalPodAutoscaler" not in canary_api
    assert 'host: "api.eu.example.com"' in (out / "prod-euw1" / "api.yaml").read_text()
    everything = "".join(p.read_text() for p in out.rglob("*.yaml"))
    for secret in SECRETS.values():
        assert secret not in everything
    assert "DB_PASSWORD: <redacted>" in canary_api
    assert "helm.sh/hook: test" in canary_api, "render shows hooks and tests, as helm template does"


@pytest.mark.helm
def test_render_show_secrets(helm_binary: Path) -> None:
    args = ["-C", str(EXAMPLE), "render", "prod", "--cluster", "prod-use1", "--app", "api"]
    hidden = run(*args, env=SECRETS).stdout
    shown = run(*args, "--show-secrets", env=SECRETS).stdout
    assert "<redacted>" in hidden and "<redacted>" not in shown
    assert "aHVudGVyMi1hcGktc2VjcmV0" in shown  # base64 of the api secret


@pytest.mark.helm
def test_verbose_logs_each_helm_command_without_values(helm_binary: Path) -> None:
    args = ["-C", str(EXAMPLE), "render", "prod", "--cluster", "prod-use1", "--app", "api"]
    quiet = run(*args, env=SECRETS)
    loud = run("-v", *args, env=SECRETS)
    assert "envman: running" not in quiet.stderr
    (line,) = [x for x in loud.stderr.splitlines() if x.startswith("envman: running ")]
    assert line.endswith(
        "template api " + str(EXAMPLE / "charts" / "api") + " --version 1.4.2 --namespace api --values -"
    )
    assert not any(secret in loud.output for secret in SECRETS.values())


def test_validate_warns_about_a_secret_too_short_to_redact_cleanly() -> None:
    result = run(
        "--no-color", "-C", str(EXAMPLE), "validate", "prod", env={**SECRETS, "API_DB_PASSWORD": "abc"}
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: environments/prod.yaml:51:20: app 'api': secret db.password is only 3 characters long:"
        " it is redacted, and so is every other occurrence of those characters in output; use at least 8"
    ]
    assert result.stdout == "ok prod (5 clusters, 5 apps)\n"


def test_values_prints_one_releases_merged_values_with_secrets_redacted_by_the_sink() -> None:
    result = run("-C", str(EXAMPLE), "values", "prod", "--cluster", "prod-euw1", "--app", "api", env=SECRETS)
    assert result.exit_code == 0, result.output
    values = yaml.safe_load(result.stdout)
    assert values["ingress"]["host"] == "api.eu.example.com" and values["image"]["tag"] == "2.7.0"
    assert values["db"]["password"] == "<redacted>"
    assert SECRETS["API_DB_PASSWORD"] not in result.output


def test_values_leaves_out_a_secret_whose_source_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_DB_PASSWORD", raising=False)
    result = run("-C", str(EXAMPLE), "values", "prod", "--cluster", "prod-euw1", "--app", "api")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# not set here: db.password\n")
    assert "password" not in yaml.safe_load(result.stdout)["db"]


def test_values_of_an_app_disabled_on_the_cluster_is_an_error() -> None:
    result = run(
        "--no-color", "-C", str(EXAMPLE), "values", "prod", "--cluster", "prod-apse1", "--app", "web"
    )
    assert result.exit_code == 1
    assert result.stderr == "error: app 'web' is not enabled on cluster 'prod-apse1' of prod\n"


def test_validate_reports_references_and_waves_in_one_round(tmp_path: Path) -> None:
    """A misspelt need, region override and wave cluster are reported together (the waves are
    checked with the references, not after them)."""
    prod = """
clusters:
  prod-use1: {region: us-east-1}
  prod-euw1: {region: eu-west-1}
apps:
  api:
    chart: charts/app
    needs: [apii]
    regions:
      eu-west-2: {values: {replicas: 2}}
rollout:
  waves:
    - {name: canary, clusters: [prod-use1-canry]}
    - {name: rest, regions: [us-east-1, eu-west-1]}
"""
    write_repo(tmp_path, {"environments/prod.yaml": prod})
    result = run("--no-color", "-C", str(tmp_path), "validate")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "error: environments/prod.yaml:7:13: unknown app 'apii' in apps.api.needs",
        "error: environments/prod.yaml:9:7: unknown region 'eu-west-2' in apps.api.regions; did you mean 'eu-west-1'?",
        "error: environments/prod.yaml:12:33: unknown cluster 'prod-use1-canry' in wave 'canary'; did you mean 'prod-use1'?",
        "3 problems found",
    ]


def test_a_misspelt_app_override_is_matched_with_the_app_of_the_base(tmp_path: Path) -> None:
    base = "abstract: true\napps:\n  worker: {chart: charts/app, namespace: jobs}\n"
    prod = "extends: base\nclusters:\n  c1: {region: r1}\napps:\n  wroker: {values: {replicas: 2}}\n"
    write_repo(tmp_path, {"environments/base.yaml": base, "environments/prod.yaml": prod})
    result = run("--no-color", "-C", str(tmp_path), "validate", "prod")
    assert result.exit_code == 1
    assert (
        "missing required key 'chart' in apps.wroker; a new entry, or did you mean 'worker'?"
    ) in result.stderr, result.stderr
