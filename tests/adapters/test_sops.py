"""The sops adapter with the real pinned sops and real age keys: decrypted to a pipe, once
per file; no key, a file that is not encrypted and a missing sops are told apart."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envman.adapters.sops import SOPS_ENV_VAR, Sops, find_sops
from envman.kit.errors import PlanError
from envman.plan.secrets import SecretUnavailable

SOPS = Path(sys.executable).parent / "sops"


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(an encrypted file, its age key file, another age key file)."""
    if shutil.which("age-keygen") is None:
        pytest.skip("age is not installed (.ci/run installs Debian's age)")
    keys = []
    for name in ("right", "wrong"):
        subprocess.run(["age-keygen", "-o", str(tmp_path / name)], check=True, capture_output=True)
        keys.append(tmp_path / name)
    recipient = next(line.split()[-1] for line in keys[0].read_text().splitlines() if "public key" in line)
    plain = tmp_path / "prod.yaml"
    plain.write_text("db:\n  password: hunter2-but-longer\n")
    target = tmp_path / "prod.enc.yaml"
    sealed = subprocess.run(
        [str(SOPS), "--encrypt", "--age", recipient, str(plain)], check=True, capture_output=True
    )
    target.write_bytes(sealed.stdout)
    return target, keys[0], keys[1]


def counting_sops(tmp_path: Path) -> tuple[Path, Path]:
    calls, wrapper = tmp_path / "calls", tmp_path / "sops-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {SOPS} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, calls


def test_a_file_is_decrypted_once_to_a_pipe(tmp_path: Path, encrypted: tuple[Path, Path, Path]) -> None:
    target, right, _ = encrypted
    wrapper, calls = counting_sops(tmp_path)
    sops = Sops({"PATH": "/usr/bin:/bin", SOPS_ENV_VAR: str(wrapper), "SOPS_AGE_KEY_FILE": str(right)})
    assert sops.decrypt(target) == {"db": {"password": "hunter2-but-longer"}}
    assert sops.decrypt(target) == {"db": {"password": "hunter2-but-longer"}}
    assert calls.read_text() == f"--decrypt --output-type json {target}\n"


def test_no_key_is_unavailable_and_remembered(tmp_path: Path, encrypted: tuple[Path, Path, Path]) -> None:
    target, _, wrong = encrypted
    wrapper, calls = counting_sops(tmp_path)
    sops = Sops({"PATH": "/usr/bin:/bin", SOPS_ENV_VAR: str(wrapper), "SOPS_AGE_KEY_FILE": str(wrong)})
    for _ in range(2):
        with pytest.raises(
            SecretUnavailable, match="sops has no key for it here: Failed to get the data key"
        ):
            sops.decrypt(target)
    assert len(calls.read_text().splitlines()) == 1


def test_a_file_that_is_not_encrypted_is_an_error_of_its_own(
    tmp_path: Path, encrypted: tuple[Path, Path, Path]
) -> None:
    _, right, _ = encrypted
    plain = tmp_path / "prod.yaml"
    sops = Sops({"PATH": "/usr/bin:/bin", SOPS_ENV_VAR: str(SOPS), "SOPS_AGE_KEY_FILE": str(right)})
    with pytest.raises(PlanError) as caught:
        sops.decrypt(plain)
    assert not isinstance(caught.value, SecretUnavailable)
    assert str(caught.value) == "sops cannot decrypt it: not a SOPS-encrypted file (sops metadata not found)"


def test_sops_is_found_from_envman_sops_path_or_beside_the_interpreter(tmp_path: Path) -> None:
    assert find_sops({"PATH": ""}, beside=SOPS.parent) == SOPS
    with pytest.raises(PlanError, match="sops not found: ENVMAN_SOPS=nope is not an executable"):
        find_sops({"PATH": "", SOPS_ENV_VAR: "nope"})
    with pytest.raises(PlanError, match="sops not found: set ENVMAN_SOPS or put sops on PATH"):
        find_sops({"PATH": str(tmp_path)}, beside=tmp_path)
