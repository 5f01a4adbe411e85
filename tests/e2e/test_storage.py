"""helm's ConfigMap storage (`HELM_DRIVER=configmap`) is read like its default Secret storage."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Fleet

pytestmark = pytest.mark.helm


def test_configmap_storage_is_planned_and_checked(prod: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELM_DRIVER", "configmap")
    prod.apply("prod-apse1")
    plan = json.loads(prod.envman("plan", "prod", "--cluster", "prod-apse1", "-o", "json").stdout)
    summary = {"install": 0, "upgrade": 0, "unchanged": 4, "uninstall": 0, "drift": 0, "verify": 1}
    assert plan["summary"] == summary  # installed by hand: the wave has never been verified
    status = json.loads(prod.envman("status", "prod", "--cluster", "prod-apse1", "-o", "json").stdout)
    assert all(r["healthy"] for r in status["releases"])
    monkeypatch.setenv("HELM_DRIVER", "sql")
    result = prod.envman("plan", "prod", "--cluster", "prod-apse1")
    assert result.exit_code == 1
    assert "HELM_DRIVER=sql is not supported" in result.stderr
