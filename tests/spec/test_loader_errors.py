"""Every bad input gets its own located message, all reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.kit.errors import SpecError
from envman.plan.fleet import resolve
from envman.spec.loader import load_environment, load_environments
from tests.repo_builder import write_repo

GOOD = """
clusters:
  prod-use1: {region: us-east-1}
  prod-euw1: {region: eu-west-1}
apps:
  api:
    chart: charts/app
    namespace: api
"""


def problems(root: Path, *names: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        for env in load_environments(root, names).values():
            if not env.spec.abstract:
                resolve(env)
    return [str(p) for p in caught.value.problems]


def test_good_environment_loads(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": GOOD})
    env = load_environment(tmp_path, "prod")
    assert list(env.clusters) == ["prod-use1", "prod-euw1"]
    assert env.apps["api"].timeout == 300.0
    assert resolve(env).waves[0].clusters == ("prod-use1", "prod-euw1")


def test_malformed_yaml_is_located(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": "clusters:\n  a: [1, 2\n  b: 3\n"})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:3:4: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_duplicate_key_is_located(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": GOOD + "  api:\n    chart: charts/app\n"})
    (message,) = problems(tmp_path, "prod")
    assert message == 'environments/prod.yaml:8:3: invalid YAML: found duplicate key "api"'


def test_unknown_keys_suggest_the_closest_valid_key(tmp_path: Path) -> None:
    text = GOOD.replace("{region: us-east-1}", "{regon: us-east-1}").replace(
        "namespace: api", "namespce: api"
    )
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:2:3: missing required key 'region' in clusters.prod-use1",
        "environments/prod.yaml:2:15: unknown key 'regon' in clusters.prod-use1; did you mean 'region'?",
        "environments/prod.yaml:7:5: unknown key 'namespce' in apps.api; did you mean 'namespace'?",
    ]


def test_wrong_types_say_what_was_found(tmp_path: Path) -> None:
    text = GOOD.replace("namespace: api", "namespace: api\n    version: 1.4\n    timeout: 5x")
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:8:14: apps.api.version: input should be a valid string, "
        "got number 1.4; quote it to make it a string",
        "environments/prod.yaml:9:14: apps.api.timeout: invalid duration '5x': "
        "use a number with h, m or s, like 30s, 10m, 1h30m",
    ]


def test_unknown_cluster_and_region_in_overrides(tmp_path: Path) -> None:
    text = GOOD + "    clusters:\n      prod-euw2: {enabled: false}\n    regions:\n      eu-west-2: {}\n"
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:9:7: unknown cluster 'prod-euw2' in apps.api.clusters; did you mean 'prod-euw1'?",
        "environments/prod.yaml:11:7: unknown region 'eu-west-2' in apps.api.regions; did you mean 'eu-west-1'?",
    ]


def test_unknown_need_and_bad_release_name(tmp_path: Path) -> None:
    text = GOOD + "    needs: [databse]\n  database: {chart: charts/app}\n  Web: {chart: charts/app}\n"
    write_repo(tmp_path, {"environments/prod.yaml": text})
    found = problems(tmp_path, "prod")
    assert found[0].startswith(
        "environments/prod.yaml:10:3: apps.Web: 'Web' is not a valid helm release name"
    )
    write_repo(tmp_path, {"environments/prod.yaml": text.replace("  Web: {chart: charts/app}\n", "")})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:8:13: unknown app 'databse' in apps.api.needs; did you mean 'database'?"
    ]


def test_missing_chart_values_file_and_version_mismatch(tmp_path: Path) -> None:
    text = GOOD.replace("chart: charts/app", "chart: charts/ap\n    valuesFiles: [values/api.yaml]")
    text += "  web:\n    chart: charts/app\n    version: 2.0.0\n  ext:\n    chart: stable/nginx\n"
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:6:12: apps.api.chart: no chart at charts/ap/Chart.yaml",
        "environments/prod.yaml:7:19: apps.api.valuesFiles: no values file values/api.yaml",
        "environments/prod.yaml:11:14: apps.web.version: '2.0.0' does not match version '1.0.0' "
        "of the local chart charts/app",
        "environments/prod.yaml:13:12: apps.ext.chart: no chart at stable/nginx/Chart.yaml",
    ]


def test_remote_charts_need_a_known_repository_and_a_version(tmp_path: Path) -> None:
    text = "repositories: {stable: https://charts.example.com}\n" + GOOD
    text += "  ext:\n    chart: stabel/nginx\n  oci:\n    chart: oci://registry.example.com/charts/x\n"
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:11:12: apps.ext.chart: no chart at stabel/nginx/Chart.yaml and no repository "
        "'stabel' in repositories; did you mean 'stable'?",
        "environments/prod.yaml:13:12: apps.oci.version is required for the remote chart "
        "'oci://registry.example.com/charts/x'",
    ]


def test_extends_cycle_and_unknown_base(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "environments/a.yaml": "extends: b\n",
            "environments/b.yaml": "extends: a\n",
            "environments/c.yaml": "extends: bsae\n",
            "environments/base.yaml": "abstract: true\n",
        },
    )
    assert problems(tmp_path) == [
        "environments/a.yaml:1:10: extends cycle: a -> b -> a",
        "environments/b.yaml:1:10: extends cycle: b -> a -> b",
        "environments/c.yaml:1:10: extends: unknown environment 'bsae'; did you mean 'base'?",
    ]


def test_dependency_cycle_is_shown(tmp_path: Path) -> None:
    text = GOOD + "    needs: [worker]\n  worker:\n    chart: charts/app\n    needs: [api]\n"
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:8:13: dependency cycle: api -> worker -> api"
    ]


def test_needed_app_disabled_where_dependent_runs(tmp_path: Path) -> None:
    text = GOOD + "  web:\n    chart: charts/app\n    needs: [api]\n"
    text = text.replace("namespace: api", "namespace: api\n    clusters: {prod-euw1: {enabled: false}}")
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:11:13: apps.web needs 'api', which is disabled on cluster 'prod-euw1'"
    ]


def test_wave_coverage_problems(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  prod-euw1: {region: eu-west-1}",
        "  prod-euw1: {region: eu-west-1}\n  prod-apse1: {region: ap-southeast-1}",
    )
    text += """
rollout:
  waves:
    - name: canary
      clusters: [prod-use1, prod-euw2]
    - name: eu
      regions: [eu-west-1, us-east-1]
    - name: asia
      selector: {region: ap-south-1}
"""
    write_repo(tmp_path, {"environments/prod.yaml": text})
    assert problems(tmp_path, "prod") == [
        "environments/prod.yaml:4:3: cluster 'prod-apse1' is in no wave",
        "environments/prod.yaml:13:29: unknown cluster 'prod-euw2' in wave 'canary'; did you mean 'prod-euw1'?",
        "environments/prod.yaml:14:7: cluster 'prod-use1' is in two waves: 'canary' and 'eu'",
        "environments/prod.yaml:17:26: unknown region 'ap-south-1' in wave 'asia'; did you mean 'ap-southeast-1'?",
    ]


def test_gate_and_wave_shapes(tmp_path: Path) -> None:
    text = (
        GOOD
        + """
rollout:
  onFailure: rollback-everything
  gates:
    - helth: {timeout: 5m}
    - prometheus: {url: "http://p", query: up}
  waves:
    - name: all
      regions: [us-east-1, eu-west-1]
      clusters: [prod-use1]
"""
    )
    write_repo(tmp_path, {"environments/prod.yaml": text})
    found = problems(tmp_path, "prod")
    assert found == [
        "environments/prod.yaml:10:14: rollout.onFailure: input should be 'rollback-wave', 'rollback-all' or 'halt'",
        "environments/prod.yaml:12:7: unknown key 'helth' in rollout.gates[0]; did you mean 'health'?",
        "environments/prod.yaml:13:19: rollout.gates[1].prometheus: a prometheus gate needs 'min', 'max' or both",
        "environments/prod.yaml:15:7: rollout.waves[0]: a wave chooses its clusters with exactly one of: "
        "clusters, regions, selector",
    ]


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "environments/prod.yaml": GOOD.replace("region: us-east-1", "region: 1"),
            "environments/dev.yaml": "clusters: {dev: {region: x}}\napps: {api: {chart: charts/nope}}\n",
        },
    )
    found = problems(tmp_path)
    assert [f.split(":")[0] for f in found] == ["environments/dev.yaml", "environments/prod.yaml"]


def test_unknown_environment_and_abstract_base(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": GOOD, "environments/base.yaml": "abstract: true\n"})
    assert problems(tmp_path, "prd") == ["environments/: unknown environment 'prd'; did you mean 'prod'?"]
    with pytest.raises(SpecError, match="environment 'base' is abstract"):
        load_environment(tmp_path, "base")
