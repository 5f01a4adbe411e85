"""Remote charts fetched once into a per-user cache: HTTP(S) chart repositories and OCI
registries, with credentials, CA files and plain HTTP as the spec's `repositories` say.

A chart is `<cache>/charts/<digest of its source URL>/<name>-<version>.tgz`; once there it
is never downloaded again (a chart version is immutable in its repository). Downloads go to
a private temporary directory beside it and are renamed into place, so concurrent runs share
the cache safely. Each run has its own helm repository and registry configuration (in a
temporary directory, removed at the end): the user's helm configuration is never read or
written, and a repository's index is fetched at most once per run, only when a chart of it
is not cached yet. Passwords reach helm on stdin only (`--password-stdin`).
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from envman.adapters.helm.process import HelmCommand, checked
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from envman.kit.redact import Redactor

CACHE_ENV = "ENVMAN_CACHE_DIR"


def cache_dir(environ: Mapping[str, str]) -> Path:
    """`$ENVMAN_CACHE_DIR`, else `$XDG_CACHE_HOME/envman`, else `~/.cache/envman`."""
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "envman"


@dataclass(frozen=True)
class Access:
    """How to reach a repository: credentials (already resolved) and TLS settings."""

    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False
    plain_http: bool = False


@dataclass(frozen=True)
class RemoteChart:
    """`name` at `version` in the HTTP repository `url`, or the OCI chart `url` (then `name`
    is its last path segment)."""

    url: str
    name: str
    version: str
    access: Access = Access()

    @property
    def oci(self) -> bool:
        return self.url.startswith("oci://")


class ChartFetcher:
    """Fetches remote charts into the cache for one run (`async with`: its helm config)."""

    def __init__(self, helm: Path, cache: Path, redactor: Redactor) -> None:
        self._helm = HelmCommand(helm, KubeTarget())
        self._cache = cache
        self._redactor = redactor
        self._config: Path | None = None
        self._ready: dict[str, asyncio.Task[None]] = {}

    async def __aenter__(self) -> ChartFetcher:
        self._config = Path(tempfile.mkdtemp(prefix="envman-helm-"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._config is not None:
            shutil.rmtree(self._config, ignore_errors=True)

    def cached(self, chart: RemoteChart) -> Path:
        source = chart.url if chart.oci else f"{chart.url.rstrip('/')}/{chart.name}"
        folder = hashlib.sha256(source.encode()).hexdigest()[:16]
        return self._cache / "charts" / folder / f"{chart.name}-{chart.version}.tgz"

    async def fetch(self, chart: RemoteChart) -> Path:
        """The cached archive of `chart`, downloaded first if needed; `HelmError` naming the
        chart and version when the repository does not have it."""
        target = self.cached(chart)
        if target.is_file():
            return target
        await self._prepare(chart)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pull-") as tmp:
            await self._pull(chart, Path(tmp))
            pulled = next(Path(tmp).glob("*.tgz"), None)
            if pulled is None:
                raise HelmError(f"helm pull of {chart.name} {chart.version} wrote no chart archive")
            pulled.replace(target)
        return target

    async def _prepare(self, chart: RemoteChart) -> None:
        """Once per repository (HTTP) or registry host (OCI, with credentials) per run."""
        key = _host(chart.url) if chart.oci else chart.url
        if chart.oci and chart.access.username is None:
            return
        if key not in self._ready:
            self._ready[key] = asyncio.ensure_future(
                self._login(chart) if chart.oci else self._add_repo(chart)
            )
        await self._ready[key]

    async def _add_repo(self, chart: RemoteChart) -> None:
        args = ["repo", "add", _alias(chart.url), chart.url, "--force-update", *_tls(chart.access, oci=False)]
        await self._credentialled("repo add", chart, args)

    async def _login(self, chart: RemoteChart) -> None:
        args = ["registry", "login", _host(chart.url), *_tls(chart.access, login=True)]
        await self._credentialled("registry login", chart, args)

    async def _credentialled(self, verb: str, chart: RemoteChart, args: list[str]) -> None:
        access = chart.access
        stdin = None
        if access.username is not None:
            args += ["--username", access.username, "--password-stdin"]
            stdin = (access.password or "").encode()
        await self._run(verb, chart, args, stdin)

    async def _pull(self, chart: RemoteChart, into: Path) -> None:
        source = chart.url if chart.oci else f"{_alias(chart.url)}/{chart.name}"
        tls = _tls(chart.access, oci=chart.oci)
        args = ["pull", source, "--version", chart.version, "--destination", str(into), *tls]
        await self._run("pull", chart, args, None)

    async def _run(self, verb: str, chart: RemoteChart, args: list[str], stdin: bytes | None) -> None:
        assert self._config is not None, "used inside `async with`"
        env = {
            "HELM_REPOSITORY_CONFIG": str(self._config / "repositories.yaml"),
            "HELM_REPOSITORY_CACHE": str(self._config / "repository"),
            "HELM_REGISTRY_CONFIG": str(self._config / "registry.json"),
        }
        call = self._helm.exec(args, stdin, env=env)
        await checked(verb, f"{chart.name} {chart.version}", None, call, self._redactor)


def _tls(access: Access, *, login: bool = False, oci: bool = True) -> list[str]:
    args: list[str] = []
    if access.ca_file is not None:
        args += ["--ca-file", str(access.ca_file)]
    if access.cert_file is not None and access.key_file is not None:
        args += ["--cert-file", str(access.cert_file), "--key-file", str(access.key_file)]
    if access.insecure:
        args.append("--insecure" if login else "--insecure-skip-tls-verify")
    if access.plain_http and oci:
        args.append("--plain-http")
    return args


def _alias(url: str) -> str:
    """A repository name private to this run (the user's own names cannot collide)."""
    return "envman-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def _host(url: str) -> str:
    return urlsplit(url).netloc
