"""The report: the JSON shape of docs/report.md, the markdown summary, and no secret anywhere."""

from __future__ import annotations

import json

from envman.output.report_markdown import markdown_summary
from envman.rollout.report import Report
from tests.rollout.fakes import SECRET, World, cluster, gate, plan, run_sync, unchanged, wave

DESIGN_KEYS = {"environment", "result", "waves"}
EXTRA_KEYS = {"started", "seconds", "on_failure", "error", "next"}


async def failed_report() -> Report:
    world = World()
    world.health.unhealthy["c2"] = 0.0
    the_plan = plan(
        wave("canary", unchanged("c1")),
        wave("us", cluster("c2", (("api",),)), gates=[gate(health={"timeout": "10s"})]),
        wave("world", cluster("c3")),
    )
    return await run_sync(world, the_plan)


async def test_json_has_the_design_shape() -> None:
    report = await failed_report()

    doc = json.loads(report.to_json())

    assert set(doc) == DESIGN_KEYS | EXTRA_KEYS
    assert doc["environment"] == "prod" and doc["result"] == "failed"
    assert [w["name"] for w in doc["waves"]] == ["canary", "us", "world"]
    assert [w["result"] for w in doc["waves"]] == ["unchanged", "rolled-back", "not-started"]
    us = doc["waves"][1]
    assert set(us) == {"name", "result", "clusters", "gates", "seconds"}
    assert us["clusters"] == [
        {
            "name": "c2",
            "region": "us-east-1",
            "releases": [
                {
                    "app": "api",
                    "release": "api",
                    "namespace": "api",
                    "action": "upgrade",
                    "result": "rolled-back",
                    "revision": 100,
                    "seconds": 10.0,
                    "error": None,
                    "failure": None,
                    "helm_output": None,
                    "rollback": {
                        "action": "rollback",
                        "result": "succeeded",
                        "to_revision": 3,
                        "revision": 101,
                        "detail": "rolled back to revision 3 (now revision 101)",
                        "seconds": 10.0,
                    },
                }
            ],
        }
    ]
    (health,) = us["gates"]
    assert {k: health[k] for k in ("gate", "cluster", "result")} == {
        "gate": "health",
        "cluster": "c2",
        "result": "failed",
    }
    assert set(health) == {"gate", "cluster", "region", "result", "detail", "seconds"}
    unchanged_release = doc["waves"][0]["clusters"][0]["releases"][0]
    assert (unchanged_release["result"], unchanged_release["revision"]) == ("unchanged", 3)
    assert doc["error"].startswith("wave us: gate health failed on c2: deployment api: 0/1 available")


async def test_no_secret_in_json_markdown_or_progress() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0
    world.helm.fail[("upgrade_install", "c2", "db")] = f"UPGRADE FAILED: {SECRET}"
    the_plan = plan(
        wave("canary", cluster("c1"), cluster("c2"), max_parallel=2, gates=[gate(health={"timeout": "5s"})])
    )

    report = await run_sync(world, the_plan, on_failure="halt")

    assert SECRET not in report.to_json()
    assert SECRET not in markdown_summary(report)
    assert all(SECRET not in event.detail for event in world.progress.events)
    assert "<redacted>" in report.to_json()


async def test_markdown_has_a_result_line_and_a_table_per_wave() -> None:
    report = await failed_report()

    text = markdown_summary(report)

    lines = text.splitlines()
    assert lines[0] == "## ❌ envman sync prod: failed"
    assert "### Wave canary: ➖ unchanged" in lines
    assert "### Wave us: ↩️ rolled-back" in lines
    assert "| c2 | api | upgrade | ↩️ rolled-back | 100 | 10.0 |" in lines
    assert any(line.startswith("| health | c2 | ❌ failed | deployment api: 0/1 available") for line in lines)
    assert "| c3 | db | upgrade | ⏸️ not-started |  |  |" in lines


async def test_markdown_of_awaiting_approval_shows_the_continue_line() -> None:
    report = await run_sync(World(), plan(wave("us", cluster("c1"), approval=True)))

    assert "To continue: `envman sync prod --approve us`" in markdown_summary(report)
