"""The bundled example charts deploy with `helm upgrade --install --wait`, twice each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.conftest import Helm

EXAMPLE = Path(__file__).resolve().parents[2] / "charts"
RELEASES = (
    ("platform-crds", "platform"),
    ("postgres", "data"),
    ("api", "api"),
    ("worker", "api"),
    ("web", "web"),
)


def test_example_charts_deploy_and_upgrade(helm: Helm) -> None:
    if not all((EXAMPLE / name / "Chart.yaml").exists() for name, _ in RELEASES):
        pytest.skip("the example charts are not all present")
    for tag in ("v1", "v2"):
        for name, namespace in RELEASES:
            helm.run(
                "upgrade",
                "--install",
                name,
                str(EXAMPLE / name),
                "-n",
                namespace,
                "--create-namespace",
                "--wait",
                "--timeout",
                "40s",
                "--set",
                f"image.tag={tag}",
            )
    listed = helm.run("list", "-A", "-q").stdout.split()
    assert sorted(listed) == sorted(name for name, _ in RELEASES)
