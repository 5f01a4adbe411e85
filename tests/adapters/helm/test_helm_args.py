"""The exact helm command lines of every driver call, for helm 3 and helm 4 (fake helm)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from envman.adapters.helm.process import HelmReleaseNotFound
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from envman.plan.desired import ChartSource
from envman.rollout.ports import ReleaseOps, ReleaseReader, ReleaseRevision, Templater
from tests.adapters.helm.helm_fake import FakeHelm, metadata, release

TARGET = KubeTarget(Path("/k/config"), "prod-use1")
KUBE = ["--kubeconfig", "/k/config", "--kube-context", "prod-use1"]
LABELS = {"managed-by": "envman", "envman.io/environment": "prod", "envman.io/app": "api"}
CHART = ChartSource("charts/api")
SECRET = "s3cr3t-hunter2"
VALUES = {"replicaCount": 3, "db": {"password": SECRET}}
GET_METADATA = ["get", "metadata", "api", "--namespace", "api", "--output", "json", *KUBE]
UPGRADE = [
    "upgrade",
    "api",
    "charts/api",
    "--install",
    "--namespace",
    "api",
    "--history-max",
    "10",
    "--timeout",
    "300s",
    "--reset-values",
    "--output",
    "json",
    "--values",
    "-",
    "--labels",
    "envman.io/app=api,envman.io/environment=prod,managed-by=envman",
    "--create-namespace",
    "--wait",
    "--wait-for-jobs",
]
FORCE = {3: ["--force"], 4: ["--force-replace", "--server-side=false"]}
NOT_FOUND = "Error: release: not found\n"
# what every `helm list` of envman asks for: all states, no paging, a parseable time
LIST = [
    "list",
    "--output",
    "json",
    "--max",
    "0",
    "--time-format",
    "2006-01-02T15:04:05Z07:00",
    "--deployed",
    "--failed",
    "--pending",
    "--uninstalling",
    "--uninstalled",
]


@pytest.fixture(params=[3, 4], ids=["helm3", "helm4"])
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> FakeHelm:
    return FakeHelm(tmp_path, request.param)


def test_the_driver_implements_the_protocol(fake: FakeHelm) -> None:
    driver = fake.driver(TARGET)  # the real check is mypy's, on these assignments
    ops: ReleaseOps = driver
    reader: ReleaseReader = driver
    templater: Templater = driver
    assert callable(ops.upgrade_install) and callable(reader.status) and callable(templater.template)


async def test_template_is_cluster_free_and_takes_values_on_stdin(fake: FakeHelm) -> None:
    fake.respond("template", stdout="kind: ConfigMap\n")
    manifest = await fake.driver(TARGET).template("api", "api", CHART, VALUES)
    assert manifest == "kind: ConfigMap\n"
    [call] = fake.calls()
    assert call["argv"][1:] == [
        "template",
        "api",
        "charts/api",
        "--namespace",
        "api",
        "--no-hooks",
        "--values",
        "-",
    ]
    assert json.loads(call["stdin"]) == VALUES


async def test_template_with_hooks_keeps_them(fake: FakeHelm) -> None:
    fake.respond("template", stdout="")
    await fake.driver(TARGET).template("api", "api", CHART, {}, hooks=True)
    assert fake.argvs() == [["template", "api", "charts/api", "--namespace", "api", "--values", "-"]]


async def test_template_of_a_repository_chart(fake: FakeHelm) -> None:
    chart = ChartSource("stable/api", "1.4.2", "https://charts.example.com/stable")
    await fake.driver(TARGET).template("api", "api", chart, {})
    assert fake.argvs() == [
        [
            "template",
            "api",
            "api",
            "--version",
            "1.4.2",
            "--repo",
            "https://charts.example.com/stable",
            "--namespace",
            "api",
            "--no-hooks",
            "--values",
            "-",
        ]
    ]


async def test_arguments_never_go_through_a_shell(fake: FakeHelm) -> None:
    chart = ChartSource("charts/a b;touch pwned")
    await fake.driver(TARGET).template("api", "api", chart, {})
    assert fake.argvs()[0][2] == "charts/a b;touch pwned"
    assert not Path("pwned").exists()


async def test_upgrade_install(fake: FakeHelm) -> None:
    fake.respond("get", "metadata", stderr=NOT_FOUND, rc=1, once=True)
    fake.respond_json("upgrade", doc=release(revision=1))
    revision = await fake.driver(TARGET).upgrade_install(
        "api", "api", CHART, VALUES, timeout=300, labels=LABELS
    )
    assert fake.argvs() == [GET_METADATA, [*UPGRADE, *KUBE]], "the new revision comes from helm's own output"
    assert json.loads(fake.calls()[1]["stdin"]) == VALUES
    assert revision == ReleaseRevision(
        "api",
        "api",
        1,
        "deployed",
        "demo",
        "0.1.0",
        "1.0.0",
        datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
        LABELS,
    )


async def test_upgrade_install_without_recovery_is_one_helm_call(fake: FakeHelm) -> None:
    fake.respond_json("upgrade", doc=release(revision=3))
    revision = await fake.driver(TARGET).upgrade_install(
        "api", "api", CHART, {}, timeout=300, labels=LABELS, recover=False
    )
    assert fake.argvs() == [[*UPGRADE, *KUBE]]
    assert (revision.revision, revision.status, revision.labels) == (3, "deployed", LABELS)


async def test_repairing_drift_forces_conflicts_on_helm_4_only(fake: FakeHelm) -> None:
    fake.respond_json("upgrade", doc=release(revision=3))
    await fake.driver(TARGET).upgrade_install(
        "api", "api", CHART, {}, timeout=300, labels=LABELS, recover=False, force_conflicts=True
    )
    forced = ["--force-conflicts"] if fake.major == 4 else []
    assert fake.argvs() == [[*UPGRADE, *forced, *KUBE]]


async def test_unreadable_upgrade_output_is_a_helm_error(fake: FakeHelm) -> None:
    fake.respond("upgrade", stdout="not json")
    with pytest.raises(HelmError, match=r"^helm upgrade api on context prod-use1: unreadable output$"):
        await fake.driver(TARGET).upgrade_install(
            "api", "api", CHART, {}, timeout=300, labels={}, recover=False
        )


async def test_upgrade_install_without_wait_or_namespace_creation(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata())
    fake.respond_json("upgrade", doc=release())
    await fake.driver(TARGET).upgrade_install(
        "api", "api", CHART, {}, timeout=1.5, labels={}, wait=False, create_namespace=False
    )
    assert fake.argvs()[1] == [
        "upgrade",
        "api",
        "charts/api",
        "--install",
        "--namespace",
        "api",
        "--history-max",
        "10",
        "--timeout",
        "1500ms",
        "--reset-values",
        "--output",
        "json",
        "--values",
        "-",
        *KUBE,
    ]


async def test_force_per_helm_version(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata())
    fake.respond_json("upgrade", doc=release())
    await fake.driver(TARGET).upgrade_install("api", "api", CHART, {}, timeout=300, labels=LABELS, force=True)
    assert fake.argvs()[1] == [*UPGRADE, *FORCE[fake.major], *KUBE]


async def test_pending_install_is_uninstalled_before_the_upgrade(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata("pending-install"), once=True)
    fake.respond_json("upgrade", doc=release())
    await fake.driver(TARGET).upgrade_install("api", "api", CHART, {}, timeout=300, labels=LABELS)
    assert fake.argvs() == [
        GET_METADATA,
        ["uninstall", "api", "--timeout", "300s", "--namespace", "api", "--wait", *KUBE],
        [*UPGRADE, *KUBE],
    ]


@pytest.mark.parametrize("status", ["pending-upgrade", "pending-rollback"])
async def test_pending_upgrade_is_rolled_back_before_the_upgrade(fake: FakeHelm, status: str) -> None:
    fake.respond_json("get", "metadata", doc=metadata(status, revision=4), once=True)
    fake.respond_json("get", "metadata", doc=metadata(revision=5))
    recovered = await fake.driver(TARGET).recover_pending("api", "api", timeout=60)
    assert recovered is not None
    assert recovered.revision == 5
    assert fake.argvs() == [
        GET_METADATA,
        [
            "rollback",
            "api",
            "--history-max",
            "10",
            "--timeout",
            "60s",
            "--cleanup-on-fail",
            "--namespace",
            "api",
            "--wait",
            "--wait-for-jobs",
            *KUBE,
        ],
        GET_METADATA,
    ]


async def test_a_settled_release_needs_no_recovery(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata("failed"))
    recovered = await fake.driver(TARGET).recover_pending("api", "api", timeout=60)
    assert recovered is not None
    assert recovered.status == "failed"
    assert fake.argvs() == [GET_METADATA]


async def test_rollback(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata(revision=4))
    revision = await fake.driver(TARGET).rollback("api", "api", 2, timeout=120)
    assert revision.revision == 4
    assert fake.argvs() == [
        [
            "rollback",
            "api",
            "2",
            "--history-max",
            "10",
            "--timeout",
            "120s",
            "--namespace",
            "api",
            "--wait",
            "--wait-for-jobs",
            *KUBE,
        ],
        GET_METADATA,
    ]


async def test_rollback_to_the_previous_revision_without_wait(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata(revision=4))
    await fake.driver(TARGET).rollback("api", "api", timeout=120, wait=False)
    assert fake.argvs()[0] == [
        "rollback",
        "api",
        "--history-max",
        "10",
        "--timeout",
        "120s",
        "--namespace",
        "api",
        *KUBE,
    ]


async def test_uninstall_of_an_absent_release_succeeds(fake: FakeHelm) -> None:
    fake.respond("uninstall", stderr="Error: uninstall: Release not loaded: api: release: not found\n", rc=1)
    await fake.driver(TARGET).uninstall("api", "api", timeout=120, wait=False)
    assert fake.argvs() == [
        ["uninstall", "api", "--timeout", "120s", "--namespace", "api", *KUBE],
    ]


async def test_status(fake: FakeHelm) -> None:
    fake.respond_json("get", "metadata", doc=metadata("pending-upgrade", 7, team="a"))
    status = await fake.driver(TARGET).status("api", "api")
    assert status is not None
    assert (status.revision, status.status, status.pending, status.labels) == (
        7,
        "pending-upgrade",
        True,
        {"team": "a"},
    )
    assert fake.argvs() == [GET_METADATA]


async def test_status_of_an_absent_release_is_none(fake: FakeHelm) -> None:
    fake.respond("get", "metadata", stderr=NOT_FOUND, rc=1)
    assert await fake.driver(TARGET).status("api", "api") is None


async def test_history(fake: FakeHelm) -> None:
    fake.respond_json(
        "history",
        doc=[
            {
                "revision": 1,
                "updated": "2025-03-04T05:06:07.5Z",
                "status": "superseded",
                "chart": "my-app-2-1.4.2-rc.1",
                "app_version": "2.7.0",
                "description": "Install",
            },
            {
                "revision": 2,
                "updated": "2025-03-05T05:06:07Z",
                "status": "deployed",
                "chart": "my-app-2-1.4.3",
                "app_version": "2.7.1",
                "description": "Upgrade",
            },
        ],
    )
    history = await fake.driver(TARGET).history("api", "api")
    assert fake.argvs() == [
        ["history", "api", "--output", "json", "--max", "256", "--namespace", "api", *KUBE],
    ]
    assert [(r.revision, r.status, r.chart, r.chart_version) for r in history] == [
        (1, "superseded", "my-app-2", "1.4.2-rc.1"),
        (2, "deployed", "my-app-2", "1.4.3"),
    ]


async def test_history_of_an_absent_release_is_empty(fake: FakeHelm) -> None:
    fake.respond("history", stderr=NOT_FOUND, rc=1)
    assert await fake.driver(TARGET).history("api", "api") == []


async def test_get_values(fake: FakeHelm) -> None:
    fake.respond("get", "values", stdout="null\n")
    assert await fake.driver(TARGET).get_values("api", "api", 2) == {}
    assert fake.argvs() == [
        ["get", "values", "api", "--output", "json", "--revision", "2", "--namespace", "api", *KUBE],
    ]


async def test_get_manifest(fake: FakeHelm) -> None:
    fake.respond("get", "manifest", stdout="kind: Deployment\n")
    assert await fake.driver(TARGET).get_manifest("api", "api") == "kind: Deployment\n"
    assert fake.argvs() == [["get", "manifest", "api", "--namespace", "api", *KUBE]]


async def test_helm_test_passing_and_failing(fake: FakeHelm) -> None:
    fake.respond("test", stdout="Phase: Succeeded\n", once=True)
    fake.respond("test", stderr="Error: 1 error occurred:\n\t* pod api-test failed\n", rc=1)
    driver = fake.driver(TARGET)
    passed = await driver.test("api", "api", timeout=300)
    failed = await driver.test("api", "api", timeout=300)
    assert (passed.passed, passed.output) == (True, "Phase: Succeeded\n")
    assert not failed.passed
    assert "pod api-test failed" in failed.output
    assert fake.argvs() == [["test", "api", "--namespace", "api", "--timeout", "300s", *KUBE]] * 2


async def test_helm_test_of_an_absent_release_is_an_error(fake: FakeHelm) -> None:
    fake.respond("test", stderr=NOT_FOUND, rc=1)
    with pytest.raises(HelmReleaseNotFound):
        await fake.driver(TARGET).test("api", "api", timeout=300)


async def test_list_releases(fake: FakeHelm) -> None:
    fake.respond_json(
        "list",
        doc=[
            {
                "name": "api",
                "namespace": "api",
                "revision": "3",
                "updated": "2025-03-04T05:06:07Z",
                "status": "pending-upgrade",
                "chart": "demo-0.1.0",
                "app_version": "1.0.0",
            },
        ],
    )
    releases = await fake.driver(TARGET).list_releases(selector={"managed-by": "envman"})
    assert fake.argvs() == [
        [
            *LIST,
            "--all-namespaces",
            "--selector",
            "managed-by=envman",
            *KUBE,
        ]
    ]
    assert releases == [
        ReleaseRevision(
            "api",
            "api",
            3,
            "pending-upgrade",
            "demo",
            "0.1.0",
            "1.0.0",
            datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
            {"managed-by": "envman"},
        )
    ]


async def test_list_releases_of_the_default_namespace_without_selector(fake: FakeHelm) -> None:
    fake.respond("list", stdout="[]\n")
    driver = fake.driver(KubeTarget())
    assert await driver.list_releases(all_namespaces=False) == []
    assert fake.argvs() == [LIST]


async def test_errors_are_one_line_and_never_show_values(fake: FakeHelm) -> None:
    fake.respond("get", "metadata", stderr=NOT_FOUND, rc=1)
    fake.respond(
        "upgrade",
        rc=1,
        stderr=f"coalesce.go:286: warning\nError: UPGRADE FAILED: bad password {SECRET}\n",
    )
    with pytest.raises(HelmError) as caught:
        await fake.driver(TARGET).upgrade_install("api", "api", CHART, VALUES, timeout=300, labels=LABELS)
    assert str(caught.value) == (
        "helm upgrade api failed on context prod-use1: UPGRADE FAILED: bad password <redacted>"
    )
    assert caught.value.__cause__ is not None
    assert all(SECRET not in arg for argv in fake.argvs() for arg in argv)
    assert SECRET in fake.calls()[1]["stdin"]


async def test_a_later_error_redacts_values_seen_earlier(fake: FakeHelm) -> None:
    fake.respond("get", "metadata", stderr=NOT_FOUND, rc=1, once=True)
    fake.respond_json("upgrade", doc=release())
    fake.respond("rollback", stderr=f"Error: cannot patch {SECRET}\n", rc=1)
    driver = fake.driver(TARGET)
    await driver.upgrade_install("api", "api", CHART, VALUES, timeout=300, labels=LABELS)
    with pytest.raises(HelmError, match=r"^helm rollback api failed on context prod-use1") as e:
        await driver.rollback("api", "api", timeout=60)
    assert SECRET not in str(e.value)


async def test_a_vanished_binary_is_a_helm_error(fake: FakeHelm) -> None:
    driver = fake.driver(TARGET)
    fake.path.unlink()
    with pytest.raises(HelmError, match=r"^helm get manifest api failed on context prod-use1"):
        await driver.get_manifest("api", "api")
