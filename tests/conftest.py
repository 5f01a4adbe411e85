"""Shared fixtures: the repository root, the bundled example, the pinned helm binaries; and the
test tiers, marked from each test's folder (as kopf's conftest does): `core` (the pure core
and the engine on fakes), `adapters` (real helm, git, HTTP servers, the sandbox, the CLI),
`e2e` (whole commands against a backend). `pytest -m "not e2e"` is the quick tier."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.helm_versions import on_both_helms

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The helm versions of a test using `helm_binary`: both, except in tests/e2e, where only
    the tests `helm_versions.BOTH_HELMS` names (with why) run on helm 3 too; a test's own
    `parametrize` of it wins."""
    if "helm_binary" not in metafunc.fixturenames:
        return
    if any("helm_binary" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return
    path = Path(metafunc.definition.path).resolve()
    e2e = path.is_relative_to(ROOT / "tests" / "e2e")
    both = not e2e or on_both_helms(path.name, metafunc.definition.originalname)
    metafunc.parametrize("helm_binary", sorted(HELM_BINARIES) if both else ["helm4"], indirect=True)


@pytest.fixture
def helm_binary(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pinned helm of the test's parameter (see `pytest_generate_tests`), selected for
    envman through ENVMAN_HELM."""
    path = HELM_BINARIES[request.param]
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(path))
    return path
