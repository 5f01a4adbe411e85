"""SOPS secret sources resolved through an injected decrypt (pure: a plain document in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envman.kit.errors import PlanError
from envman.plan.secrets import SecretUnavailable, resolve_secrets
from envman.spec.loader import load_environment
from tests.repo_builder import write_repo

SPEC = """
clusters: {c1: {region: r1}}
apps:
  api:
    chart: charts/app
    secrets:
      db.password: {sops: secrets/prod.enc.yaml, path: db.password}
      db.port: {sops: secrets/prod.enc.yaml, path: db.port}
      tls: {sops: secrets/prod.enc.yaml, path: tls.enabled}
"""
DOCUMENT = {"db": {"password": "s3cret-value", "port": 5432}, "tls": {"enabled": True}}


def resolve(tmp_path: Path, decrypt: Any, spec: str = SPEC) -> Any:
    write_repo(tmp_path, {"environments/prod.yaml": spec, "secrets/prod.enc.yaml": "sops: {}\n"})
    env = load_environment(tmp_path, "prod")
    return resolve_secrets(env, "api", lambda _: None, lambda _: None, decrypt)


def test_values_come_from_the_decrypted_document_as_strings(tmp_path: Path) -> None:
    seen: list[Path] = []

    def decrypt(path: Path) -> Any:
        seen.append(path)
        return DOCUMENT

    resolved = resolve(tmp_path, decrypt)
    assert resolved.values == {"db.password": "s3cret-value", "db.port": "5432", "tls": "true"}
    assert resolved.missing == {}
    assert seen == [tmp_path / "secrets" / "prod.enc.yaml"] * 3, "the adapter decrypts each file once"


def test_without_a_key_the_source_is_unavailable_like_an_unset_variable(tmp_path: Path) -> None:
    def decrypt(path: Path) -> Any:
        raise SecretUnavailable("sops has no key for it here: Failed to get the data key")

    resolved = resolve(tmp_path, decrypt)
    assert resolved.values == {}
    assert resolved.missing["db.password"] == (
        "environments/prod.yaml:6:20: app 'api': secret db.password: secrets/prod.enc.yaml:"
        " sops has no key for it here: Failed to get the data key"
    )
    assert resolve(tmp_path, None).missing["db.port"].endswith("SOPS files are not decrypted here")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("db.pasword", "no value at db.pasword; did you mean 'db.password'?"),
        ("nothing.here", "no value at nothing.here; valid: db.password, db.port, tls.enabled"),
        ("db", "db is a map: name one value under it"),
    ],
)
def test_a_path_the_document_lacks_is_a_located_error_naming_no_value(
    tmp_path: Path, path: str, message: str
) -> None:
    spec = f"""
    clusters: {{c1: {{region: r1}}}}
    apps:
      api:
        chart: charts/app
        secrets:
          db.password: {{sops: secrets/prod.enc.yaml, path: {path}}}
    """
    with pytest.raises(PlanError) as caught:
        resolve(tmp_path, lambda _: DOCUMENT, spec)
    assert str(caught.value) == (
        f"environments/prod.yaml:6:20: app 'api': secret db.password: secrets/prod.enc.yaml: {message}"
    )
    assert "s3cret-value" not in str(caught.value)


def test_a_file_sops_cannot_decrypt_is_a_located_error(tmp_path: Path) -> None:
    def decrypt(path: Path) -> Any:
        raise PlanError("sops cannot decrypt it: not a SOPS-encrypted file (sops metadata not found)")

    with pytest.raises(PlanError) as caught:
        resolve(tmp_path, decrypt)
    assert str(caught.value).startswith("environments/prod.yaml:6:20: app 'api': secret db.password:")
