"""The spec's supply-chain keys: `verify`/`keyring` of a repository, `{sops, path}` secret
sources, and validate's warning about an unencrypted file under secrets/."""

from __future__ import annotations

from pathlib import Path

from envman.spec.checks import unencrypted_secrets
from tests.repo_builder import write_repo
from tests.spec.test_loader_errors import problems

SPEC = """
repositories:
  signed: {url: https://charts.example.com, verify: true, keyring: keys/pubring.gpg}
  half: {url: https://charts.example.com, verify: true}
  creds:
    url: https://charts.example.com
    password: {sops: secrets/gone.enc.yaml, path: charts.password}
clusters:
  c1: {region: r1}
apps:
  api:
    chart: signed/api
    version: 1.0.0
    secrets:
      db.password: {sops: secrets/prod.enc.yaml, path: db.password}
      e.f: {sops: ../outside.yaml, path: e}
"""


def test_keyrings_and_sops_files_must_be_files_of_the_repository(tmp_path: Path) -> None:
    write_repo(tmp_path, {"environments/prod.yaml": SPEC, "secrets/prod.enc.yaml": "sops: {}\n"})
    assert problems(tmp_path) == [
        "environments/prod.yaml:2:68: repositories.signed.keyring: no file keys/pubring.gpg",
        "environments/prod.yaml:3:43: repositories.half: 'verify: true' and 'keyring' go together:"
        " the keyring the signatures are checked against",
        "environments/prod.yaml:6:15: repositories.creds.password: no file secrets/gone.enc.yaml",
        "environments/prod.yaml:15:19: apps.api.secrets.e.f.sops: ../outside.yaml lies outside the repository",
    ]


def test_a_sops_source_needs_its_path_and_only_it_does(tmp_path: Path) -> None:
    spec = """
    clusters: {c1: {region: r1}}
    apps:
      api:
        chart: charts/app
        secrets:
          a.b: {sops: secrets/prod.enc.yaml}
          c.d: {env: X, path: c.d}
          e.f: {env: X, sops: secrets/prod.enc.yaml, path: e}
    """
    write_repo(tmp_path, {"environments/prod.yaml": spec})
    together = "'sops' and 'path' go together: the file and the dotted path of the value in it"
    assert problems(tmp_path) == [
        f"environments/prod.yaml:6:12: apps.api.secrets.a.b: {together}",
        f"environments/prod.yaml:7:12: apps.api.secrets.c.d: {together}",
        "environments/prod.yaml:8:12: apps.api.secrets.e.f: a secret source needs exactly one of 'env',"
        " 'file' or 'sops'",
    ]


def test_validate_warns_about_every_unencrypted_file_under_secrets(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "environments/prod.yaml": "clusters: {}\n",
            "secrets/prod.enc.yaml": "db:\n  password: ENC[AES256_GCM,data:x]\nsops:\n  mac: ENC[x]\n",
            "secrets/app.enc.json": '{"a": "ENC[x]", "sops": {"mac": "ENC[x]", "version": "3.11.0"}}',
            "secrets/app.enc.env": "a=ENC[x]\nsops_mac=ENC[x]\n",
            "secrets/app.enc.ini": "[main]\na = ENC[x]\n[sops]\nmac = ENC[x]\n",
            "secrets/.sops.yaml": "creation_rules: []\n",
            "secrets/nested/plain.yaml": "db:\n  password: hunter2\n",
            "secrets/plain.json": '{"sops": "not metadata"}',
            "secrets/notes.txt": "the password is hunter2\n",
        },
    )
    assert [str(p) for p in unencrypted_secrets(tmp_path)] == [
        f"secrets/{name}:1:1: secrets/{name} is not encrypted with sops (no sops metadata): encrypt it"
        f" (`sops --encrypt --in-place secrets/{name}`) before it is committed"
        for name in ("nested/plain.yaml", "notes.txt", "plain.json")
    ]
    assert unencrypted_secrets(tmp_path / "nowhere") == []
