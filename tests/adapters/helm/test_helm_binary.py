"""Finding helm (ENVMAN_HELM, PATH) and detecting its major version once per binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.adapters.helm.binary import find_helm, helm_major, locate_helm
from envman.adapters.helm.driver import HelmClients
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from tests.adapters.helm.helm_fake import FakeHelm

VENV_BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"


def test_envman_helm_wins_over_path(tmp_path: Path) -> None:
    fake = FakeHelm(tmp_path, 4)
    env = {"ENVMAN_HELM": str(fake.path), "PATH": str(VENV_BIN)}
    assert find_helm(env) == fake.path


def test_envman_helm_may_name_a_program_on_path(tmp_path: Path) -> None:
    fake = FakeHelm(tmp_path, 3)
    assert find_helm({"ENVMAN_HELM": "helm", "PATH": str(tmp_path)}) == fake.path


def test_helm_on_path(tmp_path: Path) -> None:
    fake = FakeHelm(tmp_path, 3)
    assert find_helm({"PATH": f"/nonexistent:{tmp_path}"}) == fake.path


def test_missing_helm_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(HelmError) as caught:
        find_helm({"PATH": str(tmp_path)}, beside=None)
    assert str(caught.value) == (
        "helm not found: set ENVMAN_HELM or put helm on PATH (scripts/setup installs the pinned one)"
    )
    with pytest.raises(HelmError, match="helm not found: set ENVMAN_HELM"):
        find_helm({}, beside=tmp_path)


def test_falls_back_to_the_helm_beside_the_interpreter(tmp_path: Path) -> None:
    assert find_helm({"PATH": str(tmp_path)}, beside=VENV_BIN) == VENV_BIN / "helm"


def test_a_wrong_envman_helm_is_named(tmp_path: Path) -> None:
    with pytest.raises(HelmError) as caught:
        find_helm({"ENVMAN_HELM": str(tmp_path / "nope"), "PATH": str(VENV_BIN)})
    assert str(caught.value) == f"helm not found: ENVMAN_HELM={tmp_path / 'nope'} is not an executable"


@pytest.mark.parametrize("major", [3, 4])
def test_major_version_is_detected_once_per_binary(tmp_path: Path, major: int) -> None:
    fake = FakeHelm(tmp_path, major)
    assert helm_major(fake.path) == major
    assert helm_major(fake.path) == major
    assert fake.argvs() == [["version", "--short"]]


def test_unsupported_version_is_an_error(tmp_path: Path) -> None:
    fake = FakeHelm(tmp_path, 3)
    fake.path.with_name("responses.json").write_text(
        '[{"prefix": ["version"], "stdout": "v2.17.0+ga690bad\\n", "stderr": "", "rc": 0, "once": false}]'
    )
    with pytest.raises(HelmError, match=r"unsupported helm version 'v2\.17\.0\+ga690bad'"):
        helm_major(fake.path)


async def test_one_driver_per_cluster(tmp_path: Path) -> None:
    fake = FakeHelm(tmp_path, 4)
    clients = await HelmClients.from_env({"ENVMAN_HELM": str(fake.path)})
    a = clients.for_target(KubeTarget(Path("/k"), "a"))
    assert clients.for_target(KubeTarget(Path("/k"), "a")) is a
    assert clients.for_target(KubeTarget(Path("/k"), "b")) is not a
    assert a.binary.major == 4


@pytest.mark.helm
@pytest.mark.parametrize(("name", "major"), [("helm", 4), ("helm3", 3)])
def test_real_helm_versions(name: str, major: int) -> None:
    if not (VENV_BIN / name).exists():
        pytest.skip(f"{name} is not installed in .venv/bin")
    binary = locate_helm({"ENVMAN_HELM": str(VENV_BIN / name)})
    assert binary.major == major
