"""Shared fixtures: the repository root, the bundled example, the pinned helm binaries; and the
test tiers, marked from each test's folder (as kopf's conftest does): `core` (the pure core
and the engine on fakes), `adapters` (real helm, git, HTTP servers, the sandbox, the CLI),
`e2e` (whole commands against a backend). `pytest -m "not e2e"` is the quick tier."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT
"""The bundled example is the repository's own top level (README, The repository envman reads)."""
EXAMPLE_PARTS = ("environments", "charts", "values", "scripts")
HELM_BINARIES = {"helm4": ROOT / ".venv" / "bin" / "helm", "helm3": ROOT / ".venv" / "bin" / "helm3"}


TIERS = {
    "core": ("plan", "spec", "kit", "output", "rollout", "gates"),
    "adapters": ("adapters", "sandbox", "application", "cli", "promote", "test_packaging.py"),
    "e2e": ("e2e",),
}
_TIER_OF = {folder: tier for tier, folders in TIERS.items() for folder in folders}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its tier, from the first folder under tests/."""
    for item in items:
        part = Path(item.path).resolve().relative_to(ROOT / "tests").parts[0]
        tier = _TIER_OF.get(part)
        if tier is None:
            raise pytest.UsageError(f"tests/{part}: no tier; add it to TIERS in tests/conftest.py")
        item.add_marker(getattr(pytest.mark, tier))


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
