"""Where an Application's chart comes from, as Argo CD's repo server fetches it: a git repository
read at a revision (`repoURL` + `path` + `targetRevision`: a commit SHA, a branch or a tag; a
`file://` URL or a local path is allowed in the sandbox), or a Helm chart repository (`repoURL`
+ `chart` + `targetRevision` = the version): HTTP(S), or OCI (`oci://` URLs, or a repository
Secret with `enableOCI: "true"`), with the credentials of Argo CD repository Secrets
(`username`, `password`, `insecure`, `insecureOCIForceHttp`) and the CA certificates of
`argocd-tls-certs-cm`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import ssl
import subprocess
import tarfile
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

Obj = dict[str, Any]

_SHA = re.compile(r"^[0-9a-f]{40}$")
_FETCH_TIMEOUT = 60.0


class SourceError(Exception):
    """The source cannot be read; the text is what Argo CD's repo server would answer."""


@dataclass(frozen=True)
class RepoAccess:
    """How to reach one repository: basic auth, TLS verification and extra CA certificates."""

    username: str = ""
    password: str = ""
    insecure: bool = False
    ca_pem: str = ""
    oci: bool = False
    plain_http: bool = False


def is_helm_repository(source: Obj) -> bool:
    """A Helm repository source names a `chart`; a git source a `path`."""
    return bool(source.get("chart"))


def _run(command: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    name = " ".join([Path(command[0]).name, *command[1:2]])
    try:
        done = subprocess.run(
            command, input=stdin, capture_output=True, check=True, timeout=_FETCH_TIMEOUT, env=env
        )
    except subprocess.CalledProcessError as exc:
        raise SourceError(exc.stderr.decode(errors="replace").strip() or f"{name} failed") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"{name} failed: {exc}") from exc
    return done.stdout


def _run_git(*args: str) -> bytes:
    return _run(["git", *args], {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"})


def _extract(archive: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


class Sources:
    """Mirrors of git repositories and downloaded chart archives, under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._indexes: dict[str, Obj] = {}

    # --- git ---------------------------------------------------------------------------

    def _mirror(self, url: str) -> Path:
        mirror = self.directory / "git" / hashlib.sha256(url.encode()).hexdigest()[:16]
        if not (mirror / "HEAD").exists():
            _run_git("clone", "--mirror", "--quiet", "--", url, str(mirror))
        return mirror

    def resolve_git(self, url: str, revision: str) -> str:
        """The commit SHA `revision` (a SHA, branch, tag or HEAD) names in `url` now."""
        with self._lock:
            mirror = self._mirror(url)
            if _SHA.match(revision) and self._has(mirror, revision):
                return revision
            _run_git("--git-dir", str(mirror), "fetch", "--quiet", "--prune", "origin", "+refs/*:refs/*")
            if not self._has(mirror, revision):
                raise SourceError(f"unable to resolve '{revision}' to a commit SHA")
            return _run_git("--git-dir", str(mirror), "rev-parse", f"{revision}^{{commit}}").decode().strip()

    @staticmethod
    def _has(mirror: Path, revision: str) -> bool:
        try:
            _run_git("--git-dir", str(mirror), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        except SourceError:
            return False
        return True

    def git_tree(self, url: str, sha: str, path: str, into: Path) -> Path:
        """The files under `path` at commit `sha`, written below `into`; the chart's directory."""
        clean = path.strip("/") or "."
        with self._lock:
            mirror = self._mirror(url)
            try:
                archive = _run_git("--git-dir", str(mirror), "archive", "--format=tar", sha, "--", clean)
            except SourceError as exc:
                raise SourceError(f"{path}: app path does not exist") from exc
        _extract(archive, into)
        chart = into / clean
        if not chart.is_dir():
            raise SourceError(f"{path}: app path is not a directory")
        return chart

    # --- Helm repositories ---------------------------------------------------------------

    def helm_chart(self, url: str, chart: str, version: str, access: RepoAccess) -> Path:
        """The archive of `chart` at `version` (the newest when empty) from the repository at `url`."""
        entry = self._entry(url, chart, version, access, refresh=False)
        if entry is None:
            entry = self._entry(url, chart, version, access, refresh=True)
        if entry is None:
            shown = f'chart "{chart}" version "{version}"' if version else f'chart "{chart}"'
            raise SourceError(f"{shown} not found in {url} repository")
        digest = str(entry.get("digest") or "")
        target = self.directory / "charts" / hashlib.sha256(url.encode()).hexdigest()[:16]
        archive = target / f"{chart}-{entry.get('version')}.tgz"
        if archive.exists() and (not digest or hashlib.sha256(archive.read_bytes()).hexdigest() == digest):
            return archive
        urls = entry.get("urls") or []
        if not urls:
            raise SourceError(f'chart "{chart}" version "{version}" has no download URL in {url}')
        data = _download(urllib.parse.urljoin(url.rstrip("/") + "/", str(urls[0])), access)
        target.mkdir(parents=True, exist_ok=True)
        archive.write_bytes(data)
        return archive

    def oci_chart(self, helm: Path, url: str, chart: str, version: str, access: RepoAccess) -> Path:
        """The archive of `chart` at `version` pulled by helm from the OCI registry at `url`
        (logged in through a registry config of its own when the repository has credentials)."""
        base = url.removeprefix("oci://").rstrip("/")
        target = self.directory / "oci" / hashlib.sha256(base.encode()).hexdigest()[:16]
        archive = target / f"{chart}-{version}.tgz"
        if archive.exists():
            return archive
        target.mkdir(parents=True, exist_ok=True)
        plain = ["--plain-http"] if access.plain_http else []
        with tempfile.TemporaryDirectory(dir=self.directory) as home:
            env = {
                **os.environ,
                **{f"HELM_{d}_HOME": str(Path(home) / d) for d in ("CACHE", "CONFIG", "DATA")},
            }
            config = ["--registry-config", str(Path(home) / "registry.json")]
            if access.username or access.password:
                host = base.split("/")[0]
                login = [
                    str(helm),
                    "registry",
                    "login",
                    host,
                    "--username",
                    access.username,
                    "--password-stdin",
                ]
                _run(
                    [*login, *config, *plain, *(["--insecure"] if access.insecure else [])],
                    env,
                    access.password.encode(),
                )
            pull = [
                str(helm),
                "pull",
                f"oci://{base}/{chart}",
                "--version",
                version,
                "--destination",
                str(target),
            ]
            _run([*pull, *config, *plain], env)
        if not archive.exists():
            raise SourceError(f'chart "{chart}" version "{version}" not found in oci://{base}')
        return archive

    def _entry(self, url: str, chart: str, version: str, access: RepoAccess, *, refresh: bool) -> Obj | None:
        with self._lock:
            if refresh or url not in self._indexes:
                self._indexes[url] = _index(url, access)
            index = self._indexes[url]
        entries = (index.get("entries") or {}).get(chart) or []
        for entry in entries:
            if not version or str(entry.get("version")) == version:
                return dict(entry)
        return None


def _index(url: str, access: RepoAccess) -> Obj:
    text = _download(f"{url.rstrip('/')}/index.yaml", access)
    try:
        index = YAML(typ="safe").load(text.decode())
    except (YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"error unmarshaling the index of {url}: {exc}") from exc
    if not isinstance(index, dict):
        raise SourceError(f"{url}/index.yaml is not a chart repository index")
    return index


def _download(url: str, access: RepoAccess) -> bytes:
    request = urllib.request.Request(url)
    if access.username or access.password:
        token = base64.b64encode(f"{access.username}:{access.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cadata=access.ca_pem or None)
        if access.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT, context=context) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise SourceError(f"failed to fetch {url} : {exc.code} {exc.reason}") from exc
    except (OSError, ValueError) as exc:
        raise SourceError(f"failed to fetch {url} : {exc}") from exc
    return data
