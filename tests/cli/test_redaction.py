"""Secrets never leave envman in any encoding, through any output: a multi-line secret echoed
by a failing chart, a secret with quotes and backslashes, a 3-character one, Secret data
written as JSON or inside a `kind: List`; stdout, stderr, log lines and `--output-dir` files."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from envman.cli import cli
from tests.repo_builder import write_repo

pytestmark = pytest.mark.helm
CHART = Path(__file__).parent / "charts" / "leaky"
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    "-----END PRIVATE KEY-----\n"
)
QUOTED = 'p"a\\ss-w0rd'
SHORT = "z9q"


def repo(tmp_path: Path, fail: bool) -> Path:
    root = tmp_path / "repo"
    write_repo(
        root,
        {
            "secrets/key.pem": PEM,
            "environments/prod.yaml": (
                "clusters: {c1: {region: r}}\n"
                "apps:\n"
                "  leaky:\n"
                "    chart: charts/leaky\n"
                f"    values: {{fail: {str(fail).lower()}}}\n"
                "    secrets:\n"
                "      token: {file: secrets/key.pem}\n"
                "      short: {env: SHORT_SECRET}\n"
            ),
        },
    )
    shutil.copytree(CHART, root / "charts" / "leaky")
    return root


def forms(secret: str) -> list[str]:
    lines = [line for line in secret.strip().splitlines() if len(line) > 8]
    encoded = base64.b64encode(secret.strip().encode()).decode()
    return [secret.strip(), *lines, encoded, json.dumps(secret.strip())[1:-1]]


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["--no-color", "-vv", "-C", str(root), *args],
        env={"SHORT_SECRET": SHORT},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout + result.stderr


def test_a_multi_line_secret_echoed_by_a_failing_chart_is_redacted(tmp_path: Path, helm_binary: Path) -> None:
    code, output = run(repo(tmp_path, fail=True), "render", "prod")
    assert code == 1 and "bad <redacted>" in output and "Traceback" not in output
    for form in forms(PEM):
        assert form not in output


def test_every_encoding_and_every_output_is_redacted(tmp_path: Path, helm_binary: Path) -> None:
    root = repo(tmp_path, fail=False)
    (root / "secrets" / "key.pem").write_text(QUOTED)
    code, output = run(root, "render", "prod")
    assert code == 0, output
    out_dir = tmp_path / "out"
    code, logged = run(root, "render", "prod", "--output-dir", str(out_dir))
    assert code == 0, logged
    written = "".join(p.read_text() for p in out_dir.rglob("*.yaml"))
    for text in (output, logged, written):
        assert "<redacted>" in text or text == logged
        for secret in (QUOTED, SHORT):
            for form in forms(secret):
                assert form not in text, (form, text)
        assert base64.b64encode(f"x-{SHORT}".encode()).decode() not in text
    assert '"t": "<redacted>"' in output and "t: <redacted>" in output  # JSON and List Secrets
