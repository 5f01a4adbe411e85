"""Shared fixtures: the repository root, the bundled example, the pinned helm binaries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT
"""The bundled example is the repository's own top level (DESIGN.md section 2)."""
EXAMPLE_PARTS = ("environments", "charts", "values", "scripts")
HELM_BINARIES = {"helm4": ROOT / ".venv" / "bin" / "helm", "helm3": ROOT / ".venv" / "bin" / "helm3"}


def copy_example(target: Path) -> Path:
    """A writable copy of the bundled example (its environments, charts, values and scripts)."""
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns(".envman", "__pycache__"))
    return target


@pytest.fixture(params=sorted(HELM_BINARIES))
def helm_binary(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each pinned helm in turn, selected for envman through ENVMAN_HELM."""
    path = HELM_BINARIES[request.param]
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(path))
    return path
