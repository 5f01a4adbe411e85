"""What is reviewed is what runs (issue 18), end to end on both helm versions, each step
checked on the clusters (helm history, helm get values): a release that does not render fails
the plan step, a chart edit that changes no object is no rollout, a saved plan applies only
what it shows, and a failed verification puts the canary back to its last verified revision."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from envman.plan.compare import NO_OBJECT_CHANGED
from tests.e2e.conftest import PROD_CLUSTERS, Fleet
from tests.e2e.health import canary_http_gate
from tests.e2e.test_faults import Sync, helm_values, history
from tests.e2e.test_sync import report, results
from tests.e2e.test_truthful_plan import changed, kube, plan_json, releases

pytestmark = pytest.mark.helm
WEB_CLUSTERS = [c for c in PROD_CLUSTERS if c != "prod-apse1"]  # web is off on apse1
BUMP = ('image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')


def _last(prod: Fleet, cluster: str, release: str) -> tuple[int, str]:
    last = history(prod, cluster, release, release)[-1]
    return last["revision"], last["status"]


def deployment_image(prod: Fleet, cluster: str, name: str) -> str:
    """The image the Deployment `name` (in namespace `name`) runs, as the kubernetes API says."""
    apps = client.AppsV1Api(kube(prod, cluster))
    return str(apps.read_namespaced_deployment(name, name).spec.template.spec.containers[0].image)


def generations(prod: Fleet, name: str) -> dict[str, int]:
    return {
        c: int(client.AppsV1Api(kube(prod, c)).read_namespaced_deployment(name, name).metadata.generation)
        for c in WEB_CLUSTERS
    }


def revisions(prod: Fleet, release: str) -> dict[str, int]:
    return {c: len(history(prod, c, release, release)) for c in WEB_CLUSTERS}


@pytest.mark.synced
def test_a_release_that_does_not_render_fails_plan_diff_and_sync_and_changes_nothing(
    prod: Fleet, tmp_path: Path
) -> None:
    before, objects = revisions(prod, "web"), generations(prod, "web")
    prod.edit("environments/prod.yaml", 'image: {tag: "3.1.4"}', 'image: "nginx:1.27"')
    located = re.compile(
        r"^(?:error: )?environments/prod\.yaml:\d+:\d+: app web on cluster (\S+) does not render: (.+)$"
    )
    for command in (
        ("plan", "prod"),
        ("diff", "prod"),
        ("sync", "prod", "--report", str(tmp_path / "r.json")),
    ):
        result = prod.envman(*command)
        assert result.exit_code == 1, result.output
        lines = [m for m in map(located.match, result.stderr.splitlines()) if m]
        assert sorted(m[1] for m in lines) == sorted(WEB_CLUSTERS), result.stderr
        assert all("can't evaluate field tag" in m[2] for m in lines), "helm's own message"
        assert "Traceback" not in result.output
    assert report(prod, tmp_path / "r.json")["result"] == "error"
    assert revisions(prod, "web") == before, "no revision, not even a rolled-back one"
    assert generations(prod, "web") == objects, "no object was changed"


@pytest.mark.synced
def test_a_chart_edit_that_changes_no_object_is_no_rollout(prod: Fleet, tmp_path: Path) -> None:
    before = generations(prod, "web")
    values = prod.root / "charts/web/values.yaml"
    values.write_text(values.read_text() + "# a comment changes no object\n")
    doc = plan_json(prod)
    assert changed(doc) == set()
    assert all(w["verified"] for w in doc["waves"]), "no gate to run again"
    assert releases(doc)[("prod-use1", "web")]["notes"] == [NO_OBJECT_CHANGED]
    assert prod.envman("plan", "prod", "--detailed-exitcode").exit_code == 0
    diff = prod.envman("diff", "prod", "--detailed-exitcode")
    assert (diff.exit_code, diff.stdout) == (0, ""), "plan and diff agree"
    done = prod.envman("sync", "prod", "--report", str(tmp_path / "r.json"))
    assert done.exit_code == 0, done.output
    assert set(results(report(prod, tmp_path / "r.json")).values()) == {"unchanged"}
    assert revisions(prod, "web") == dict.fromkeys(WEB_CLUSTERS, 1)
    assert generations(prod, "web") == before, "no object was changed"


@pytest.mark.synced
def test_a_saved_plan_applies_only_what_it_shows(
    prod: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = revisions(prod, "api")
    prod.edit("environments/prod.yaml", *BUMP)
    saved = tmp_path / "doctored.json"
    assert prod.envman("plan", "prod", "--out", str(saved)).exit_code == 0
    doc = json.loads(saved.read_text())
    for wave in doc["plan"]["waves"]:
        for cluster in wave["clusters"]:
            for release in cluster["releases"]:
                release["action"], release["changes"] = "unchanged", []
    saved.write_text(json.dumps(doc))
    refused = prod.envman("sync", "prod", "--plan", str(saved), "--report", str(tmp_path / "r.json"))
    assert refused.exit_code == 1
    assert (
        "the plan differs from the saved one: release api on prod-use1-canary (wave canary): "
        "the saved plan says unchanged, now upgrade; nothing was changed"
    ) in refused.stderr
    assert report(prod, tmp_path / "r.json")["result"] == "error"
    assert revisions(prod, "api") == before

    assert prod.envman("plan", "prod", "--out", str(saved)).exit_code == 0
    doc = json.loads(saved.read_text())
    canary = doc["plan"]["waves"][0]["clusters"][0]["releases"]
    next(r for r in canary if r["app"] == "api")["namespace"] = "kube-system"  # what a reviewer would see
    saved.write_text(json.dumps(doc))
    moved = prod.envman("sync", "prod", "--plan", str(saved))
    assert moved.exit_code == 1
    assert (
        'release api on prod-use1-canary (wave canary): its namespace differs (saved "kube-system", now "api")'
    ) in moved.stderr
    assert revisions(prod, "api") == before

    prod.edit("environments/prod.yaml", *reversed(BUMP))
    quiet = tmp_path / "quiet.json"
    assert prod.envman("plan", "prod", "--out", str(quiet)).exit_code == 0  # 0 to upgrade
    monkeypatch.setenv("API_DB_PASSWORD", "rotated-after-review")
    rotated = prod.envman("sync", "prod", "--plan", str(quiet))
    assert rotated.exit_code == 1
    assert "release api on prod-use1-canary (wave canary): the saved plan says unchanged, now upgrade" in (
        rotated.stderr
    )
    assert "rotated-after-review" not in rotated.output
    assert revisions(prod, "api") == before


@pytest.fixture
def canary_gate(prod: Fleet) -> Iterator[set[str]]:
    with canary_http_gate(prod) as failing:
        yield failing


@pytest.mark.synced
def test_a_failed_verification_puts_the_canary_back_to_its_last_verified_revision(
    prod: Fleet, canary_gate: set[str], tmp_path: Path
) -> None:
    prod.edit("environments/prod.yaml", *BUMP)
    killed = Sync(prod)
    killed.wait_for("release prod-use1-canary/api: succeeded")
    killed.proc.kill()  # as a crash before the canary's gates passed leaves it
    killed.finish()
    assert _last(prod, "prod-use1-canary", "api") == (2, "deployed")
    assert helm_values(prod, "prod-use1-canary", "api", "api")["image"]["tag"] == "2.7.1"  # never verified
    assert deployment_image(prod, "prod-use1-canary", "api").endswith(":2.7.1")
    assert prod.envman("unlock", "prod").exit_code == 0
    canary = plan_json(prod)["waves"][0]
    assert (canary["name"], canary["verified"]) == ("canary", False)

    canary_gate.add("canary")
    rerun = prod.envman("sync", "prod", "--report", str(tmp_path / "rerun.json"))
    assert rerun.exit_code == 3, rerun.output
    doc: dict[str, Any] = report(prod, tmp_path / "rerun.json")
    assert results(doc) == {"canary": "rolled-back", "us": "not-started", "world": "not-started"}
    api = next(r for c in doc["waves"][0]["clusters"] for r in c["releases"] if r["app"] == "api")
    assert api["rollback"]["detail"].startswith("rolled back to revision 1 (the last verified one)")
    last = history(prod, "prod-use1-canary", "api", "api")[-1]
    assert (last["revision"], last["status"], last["description"]) == (3, "deployed", "Rollback to 1")
    assert helm_values(prod, "prod-use1-canary", "api", "api")["image"]["tag"] == "2.7.0"
    assert deployment_image(prod, "prod-use1-canary", "api").endswith(":2.7.0"), "the kubernetes API agrees"
    assert len(history(prod, "prod-use1", "api", "api")) == 1, "never carried past the gate"
