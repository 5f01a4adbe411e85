"""Real chart servers for the tests, on loopback: an HTTP(S) chart repository (charts made by
`helm package` and `helm repo index`, served with basic auth and TLS from a test CA made by
openssl) and an OCI registry (Debian's `docker-registry`, htpasswd auth, plain HTTP), each
counting what it serves."""

from __future__ import annotations

import base64
import collections
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

USER, PASSWORD = "charts-bot", "chart-repo-pa55word"


@dataclass(frozen=True)
class SigningKey:
    """A throwaway GnuPG key: its public keyring, and the legacy secret keyring helm signs with."""

    name: str
    pubring: Path
    secring: Path


@contextmanager
def signing_key(folder: Path, name: str) -> Iterator[SigningKey]:
    """A new RSA signing key made by Debian's gpg in its own GnuPG home (its agent stopped at
    the end); helm needs the secret key exported as a legacy keyring."""
    if shutil.which("gpg") is None:
        import pytest

        pytest.skip("gpg is not installed (.ci/run installs Debian's gnupg)")
    # a short home: gpg-agent's socket path must fit in 108 bytes (xdist's tmp paths do not)
    folder.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="gpg-", dir="/tmp"))
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    try:
        subprocess.run([*gpg, "--quick-gen-key", f"{name} <{name.replace(' ', '-')}@envman.invalid>",
                        "rsa2048", "sign", "never"], env=env, check=True, capture_output=True)  # fmt: skip
        pubring, secring = folder / "pubring.gpg", folder / "secring.gpg"
        pubring.write_bytes(
            subprocess.run([*gpg, "--export"], env=env, check=True, capture_output=True).stdout
        )
        exported = subprocess.run([*gpg, "--export-secret-keys"], env=env, check=True, capture_output=True)
        secring.write_bytes(exported.stdout)
        yield SigningKey(name, pubring, secring)
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def make_chart(
    source: Path,
    name: str,
    version: str,
    into: Path,
    helm: Path,
    *,
    sign: SigningKey | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """`source` chart renamed `name` at `version`, with `extra` files (path -> text) added,
    packaged into `into` (signed by `helm package --sign` with `sign`: a `.prov` beside it)."""
    work = Path(tempfile.mkdtemp(dir=into.parent))
    chart = work / name
    shutil.copytree(source, chart)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta.update({"name": name, "version": version})
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    for path, text in (extra or {}).items():
        (chart / path).write_text(text)
    into.mkdir(parents=True, exist_ok=True)
    signing = ["--sign", "--key", sign.name, "--keyring", str(sign.secring)] if sign else []
    subprocess.run(
        [str(helm), "package", str(chart), "-d", str(into), *signing], check=True, capture_output=True
    )
    return into / f"{name}-{version}.tgz"


def test_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1, made by openssl: (ca, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key, cert, key = (folder / n for n in ("ca.pem", "ca.key", "server.pem", "server.key"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=envman test CA",
        "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
        "-out", str(folder / "server.csr"))  # fmt: skip
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", str(folder / "server.csr"), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(folder / "ext.cnf"), "-out", str(cert))  # fmt: skip
    return ca, cert, key


@dataclass
class ChartRepo:
    url: str
    folder: Path
    hits: collections.Counter[str] = field(default_factory=collections.Counter)

    def index(self, helm: Path) -> None:
        subprocess.run([str(helm), "repo", "index", str(self.folder), "--url", self.url], check=True)


@contextmanager
def chart_repository(folder: Path, ca_folder: Path) -> Iterator[tuple[ChartRepo, Path]]:
    """An HTTPS chart repository serving `folder` with basic auth; (repo, its CA file)."""
    ca, cert, key = test_ca(ca_folder)
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    hits: collections.Counter[str] = collections.Counter()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                self.end_headers()
                return
            hits[self.path.split("?")[0]] += 1
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield ChartRepo(f"https://127.0.0.1:{server.server_address[1]}", folder, hits), ca
    finally:
        server.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def oci_registry(folder: Path) -> Iterator[str]:
    """Debian's docker-registry on a loopback port, htpasswd auth: yields `host:port`."""
    binary = shutil.which("docker-registry")
    if binary is None:
        import pytest

        pytest.skip("docker-registry is not installed (.ci/run installs Debian's docker-registry)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "htpasswd").write_text(f"{USER}:{hashed}\n")
    port = _free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
        "auth": {"htpasswd": {"realm": "envman-test", "path": str(folder / "htpasswd")}},
    }
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    proc = subprocess.Popen(
        [binary, "serve", str(folder / "config.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/v2/", proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "registry exited"
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # 401: it answers
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")
