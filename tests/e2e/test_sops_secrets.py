"""SOPS secret sources end to end: real age keys (Debian's age), the pinned sops binary, both
helm versions; the cluster holds the decrypted value, no output shows it, and a wrong key, a
missing path or a file that is not encrypted deploys nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Fleet
from tests.e2e.test_faults import helm_values, history

pytestmark = pytest.mark.helm

SOPS = Path(sys.executable).parent / "sops"
DB_PASSWORD = "sops-db-pa55word-value"
TOKEN = "sops-api-token-0123456789"
PLAINTEXT = f"db:\n  password: {DB_PASSWORD}\n  port: 5432\napi:\n  token: {TOKEN}\n"
SPEC = """\
clusters:
  prod-use1: {{region: us-east-1}}
apps:
  web:
    chart: charts/web
    namespace: web
    secrets:
      db.password: {{sops: {file}, path: {path}}}
      api.token: {{sops: secrets/prod.enc.yaml, path: api.token}}
"""


@dataclass
class Keys:
    right: Path
    wrong: Path
    calls: Path


def age_key(path: Path) -> str:
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    return next(line.split()[-1] for line in path.read_text().splitlines() if "public key" in line)


@pytest.fixture
def keys(prod: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keys]:
    """`secrets/prod.enc.yaml` encrypted for a new age key (SOPS_AGE_KEY_FILE), another key,
    and sops behind a wrapper that counts its calls (ENVMAN_SOPS)."""
    if shutil.which("age-keygen") is None:
        pytest.skip("age is not installed (.ci/run installs Debian's age)")
    if not SOPS.exists():
        pytest.fail(f"{SOPS} is missing: run scripts/setup")
    right, wrong = tmp_path / "age-right.txt", tmp_path / "age-wrong.txt"
    recipient = age_key(right)
    age_key(wrong)
    (prod.root / "secrets").mkdir()
    encrypted = subprocess.run(
        [str(SOPS), "--encrypt", "--age", recipient, "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
        input=PLAINTEXT.encode(), check=True, capture_output=True,
    ).stdout  # fmt: skip
    (prod.root / "secrets" / "prod.enc.yaml").write_bytes(encrypted)
    calls = tmp_path / "sops-calls.log"
    wrapper = tmp_path / "sops-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {SOPS} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("ENVMAN_SOPS", str(wrapper))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(right))
    yield Keys(right, wrong, calls)


def write_env(prod: Fleet, file: str = "secrets/prod.enc.yaml", path: str = "db.password") -> None:
    (prod.root / "environments" / "sopsy.yaml").write_text(SPEC.format(file=file, path=path))


def test_sops_secrets_reach_the_release_decrypted_once_per_file_and_never_shown(
    prod: Fleet, keys: Keys
) -> None:
    write_env(prod)
    synced = prod.envman("sync", "sopsy", "--yes")
    assert synced.exit_code == 0, synced.output
    values = helm_values(prod, "prod-use1", "web", "web")
    assert values["db"]["password"] == DB_PASSWORD and values["api"]["token"] == TOKEN
    calls = keys.calls.read_text().splitlines()
    assert calls == [
        "--decrypt --output-type json secrets/prod.enc.yaml".replace("secrets/", f"{prod.root}/secrets/")
    ]
    rendered = prod.envman("render", "sopsy")
    shown = prod.envman("values", "sopsy", "--cluster", "prod-use1", "--app", "web")
    assert rendered.exit_code == 0 and shown.exit_code == 0
    assert "password: <redacted>" in shown.stdout and "token: <redacted>" in shown.stdout
    for output in (synced.output, rendered.output, shown.output):
        assert DB_PASSWORD not in output and TOKEN not in output
    assert prod.envman("plan", "sopsy", "--detailed-exitcode").exit_code == 0
    leftovers = [p for p in prod.root.rglob("*") if p.is_file() and DB_PASSWORD.encode() in p.read_bytes()]
    assert leftovers == [], "the plaintext never touches disk"


def test_a_wrong_key_is_a_located_error_of_sync_and_not_compared_by_plan(
    prod: Fleet, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(prod)
    assert prod.envman("sync", "sopsy", "--yes").exit_code == 0
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys.wrong))
    prod.edit("environments/sopsy.yaml", "namespace: web", "namespace: web\n    values: {replicaCount: 2}")
    refused = prod.envman("sync", "sopsy", "--yes")
    assert refused.exit_code == 1, refused.output
    assert (
        "error: environments/sopsy.yaml:9:20: app 'web': secret db.password: secrets/prod.enc.yaml: sops has no"
        " key for it here: Failed to get the data key required to decrypt the SOPS file."
    ) in refused.stderr
    assert len(keys.calls.read_text().splitlines()) == 2, "one failed decryption for both paths of the file"
    assert [h["revision"] for h in history(prod, "prod-use1", "web", "web")] == [1]
    planned = prod.envman("plan", "sopsy")
    assert planned.exit_code == 0, planned.output
    assert "secret not compared: db.password" in planned.stdout


@pytest.mark.parametrize(
    ("file", "path", "message"),
    [
        (
            "secrets/prod.enc.yaml",
            "db.pasword",
            "secret db.password: secrets/prod.enc.yaml: no value at db.pasword; did you mean 'db.password'?",
        ),
        (
            "secrets/prod.enc.yaml",
            "db",
            "secret db.password: secrets/prod.enc.yaml: db is a map: name one value under it",
        ),
        (
            "secrets/plain.yaml",
            "db.password",
            "secret db.password: secrets/plain.yaml: sops cannot decrypt it: not a SOPS-encrypted file"
            " (sops metadata not found)",
        ),
    ],
)
def test_a_missing_path_or_a_file_that_is_not_encrypted_deploys_nothing(
    prod: Fleet, keys: Keys, file: str, path: str, message: str
) -> None:
    (prod.root / "secrets" / "plain.yaml").write_text(PLAINTEXT)
    write_env(prod, file, path)
    for command in ("plan", "sync"):
        refused = prod.envman(command, "sopsy")
        assert refused.exit_code == 1, refused.output
        assert f"error: environments/sopsy.yaml:8:20: app 'web': {message}" in refused.stderr, refused.stderr
        assert DB_PASSWORD not in refused.output
    with pytest.raises(subprocess.CalledProcessError):
        history(prod, "prod-use1", "web", "web")
    validated = prod.envman("validate", "sopsy")
    assert validated.exit_code == 0
    assert (
        "warning: secrets/plain.yaml:1:1: secrets/plain.yaml is not encrypted with sops (no sops metadata)"
    ) in validated.stderr
    assert "prod.enc.yaml" not in validated.stderr
