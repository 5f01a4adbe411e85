"""Remote charts fetched into a per-user cache and checked: HTTP(S) chart repositories and OCI
registries, with credentials, CA files and plain HTTP as the spec's `repositories` say.

A chart is `<cache>/charts/<digest of its source URL>/<name>-<version>.tgz`, with its `.prov`
beside it when its repository verifies provenance. A cached archive is used only when its
sha256 is the expected one (its pin in `envman.lock`); otherwise it is downloaded again. A
download goes to a private temporary directory beside its place and is renamed into place
only when it matches, so concurrent runs share the cache safely and a mismatching archive
never enters it. A chart of a repository with a keyring is checked by `helm verify` (its
`.prov` against the keyring) every time it is used, downloaded or cached.

Each run has its own helm repository and registry configuration, in a private directory of
the run (`run_dir`: 0700, files 0600; removed at the end, or by the next run after a
`kill -9`): the user's helm configuration is never read or written. Usernames and passwords
are written there, one file per repository or registry, never put on a command line. A
repository's index is fetched at most once per run, and only when a chart of it must be
downloaded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from envman.adapters.helm.binary import HelmBinary
from envman.adapters.helm.process import HelmCommand, checked
from envman.adapters.run_dir import make_run_dir, remove_run_dir, write_private
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from envman.kit.redact import Redactor
from envman.spec.chart_lock import Pin

CACHE_ENV = "ENVMAN_CACHE_DIR"
_log = logging.getLogger(__name__)
_DIGEST_LINE = re.compile(rb"^Digest:\s*(sha256:[0-9a-f]{64})\s*$", re.MULTILINE)


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
    is its last path segment); `keyring`: verify its provenance against this keyring."""

    url: str
    name: str
    version: str
    access: Access = Access()
    keyring: Path | None = None

    @property
    def oci(self) -> bool:
        return self.url.startswith("oci://")

    @property
    def subject(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Fetched:
    """An archive ready to use, and what it is."""

    path: Path
    digest: str
    """`sha256:<hex>` of the archive."""
    manifest: str | None = None
    """OCI, when downloaded by this run: the manifest digest the registry served."""


class ArchiveMismatch(HelmError):
    """The repository serves an archive other than the pinned one (it is not cached)."""

    def __init__(self, digest: str, manifest: str | None) -> None:
        super().__init__(f"the repository serves {digest}")
        self.digest = digest
        self.manifest = manifest


class ProvenanceError(HelmError):
    """The chart has no valid signature from a key of its repository's keyring."""


def archive_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


class ChartFetcher:
    """Fetches and checks remote charts for one run (`async with`: its private directory)."""

    def __init__(self, helm: HelmBinary, cache: Path, redactor: Redactor) -> None:
        self._helm = HelmCommand(helm.path, KubeTarget())
        self._major = helm.major
        self._cache = cache
        self._redactor = redactor
        self._config: Path | None = None
        self._ready: dict[str, asyncio.Task[None]] = {}

    async def __aenter__(self) -> ChartFetcher:
        self._config = make_run_dir()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._config is not None:
            remove_run_dir(self._config)

    def cached(self, chart: RemoteChart) -> Path:
        source = chart.url if chart.oci else f"{chart.url.rstrip('/')}/{chart.name}"
        folder = hashlib.sha256(source.encode()).hexdigest()[:16]
        return self._cache / "charts" / folder / f"{chart.name}-{chart.version}.tgz"

    async def fetch(self, chart: RemoteChart, pin: Pin | None) -> Fetched:
        """The archive of `chart`: the cached one when it matches `pin`, else a download
        (always one without a pin), its provenance verified when `chart.keyring` is set.
        `ArchiveMismatch` when the download does not match `pin`; `HelmError` naming the
        chart and version when the repository does not have it or the provenance fails."""
        target = self.cached(chart)
        if pin is not None and self._usable(chart, target, pin):
            await self._verify(chart, target)
            return Fetched(target, pin.digest)
        if pin is not None and target.is_file():
            _log.info("the cached %s differs from its pin: downloading it again", target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pull-") as tmp:
            fetched = await self._download(chart, Path(tmp))
            await self._verify(chart, fetched.path)
            if pin is not None and not _matches(fetched, pin):
                raise ArchiveMismatch(fetched.digest, fetched.manifest)
            if chart.keyring is not None:
                _provenance(fetched.path).replace(_provenance(target))
            fetched.path.replace(target)
        return Fetched(target, fetched.digest, fetched.manifest)

    @staticmethod
    def _usable(chart: RemoteChart, target: Path, pin: Pin) -> bool:
        """The cached archive exists, matches `pin`, and has its `.prov` when one is needed."""
        if not target.is_file() or (chart.keyring is not None and not _provenance(target).is_file()):
            return False
        return archive_digest(target) == pin.digest

    async def _download(self, chart: RemoteChart, into: Path) -> Fetched:
        await self._prepare(chart)
        source = chart.url if chart.oci else f"{_alias(chart.url)}/{chart.name}"
        args = ["pull", source, "--version", chart.version, "--destination", str(into)]
        args += _tls(chart.access, oci=chart.oci)
        if chart.keyring is not None:
            args.append("--prov")
        stdout, stderr = await self._run("pull", chart, args)
        pulled = next(into.glob("*.tgz"), None)
        if pulled is None:
            raise HelmError(f"helm pull of {chart.subject} wrote no chart archive")
        found = _DIGEST_LINE.search(stdout + b"\n" + stderr) if chart.oci else None
        return Fetched(pulled, archive_digest(pulled), found.group(1).decode() if found else None)

    async def _verify(self, chart: RemoteChart, archive: Path) -> None:
        """helm's provenance check of `archive` (its `.prov`) against `chart.keyring`."""
        if chart.keyring is None:
            return
        try:
            await self._run("verify", chart, ["verify", "--keyring", str(chart.keyring), str(archive)])
        except HelmError as exc:
            raise ProvenanceError(str(exc), exc.output) from exc

    async def _prepare(self, chart: RemoteChart) -> None:
        """Once per repository per run (HTTP): its configuration file and its index."""
        if chart.oci:
            return
        if chart.url not in self._ready:
            self._ready[chart.url] = asyncio.ensure_future(self._add_repo(chart))
        await self._ready[chart.url]

    async def _add_repo(self, chart: RemoteChart) -> None:
        strict = ["--fail-on-repo-update-fail"] if self._major == 3 else []  # helm 4 fails anyway
        await self._run("repo update", chart, ["repo", "update", _alias(chart.url), *strict])

    async def _run(self, verb: str, chart: RemoteChart, args: list[str]) -> tuple[bytes, bytes]:
        call = self._helm.exec_output(args, None, env=self._environment(chart))
        return await checked(verb, chart.subject, None, call, self._redactor)

    def _environment(self, chart: RemoteChart) -> dict[str, str]:
        """helm's configuration for `chart`: its own repositories file (HTTP) or registry
        configuration (OCI) in the run's directory, credentials in it, written once."""
        assert self._config is not None, "used inside `async with`"
        name = _alias(_host(chart.url) if chart.oci else chart.url)
        config = self._config / (f"{name}.json" if chart.oci else f"{name}.yaml")
        if not config.exists():
            write_private(config, _registry_config(chart) if chart.oci else _repositories(chart))
        repositories = registries = self._config / "none"
        if chart.oci:
            registries = config
        else:
            repositories = config
        return {
            "HELM_REPOSITORY_CONFIG": str(repositories),
            "HELM_REGISTRY_CONFIG": str(registries),
            "HELM_REPOSITORY_CACHE": str(self._config / "repository"),
        }


def _matches(fetched: Fetched, pin: Pin) -> bool:
    manifest_moved = None not in (pin.manifest, fetched.manifest) and pin.manifest != fetched.manifest
    return fetched.digest == pin.digest and not manifest_moved


def _provenance(archive: Path) -> Path:
    return archive.with_name(archive.name + ".prov")


def _repositories(chart: RemoteChart) -> str:
    """A helm repositories file naming only `chart`'s repository, with its credentials."""
    access = chart.access
    entry: dict[str, object] = {"name": _alias(chart.url), "url": chart.url}
    if access.username is not None:
        entry.update(username=access.username, password=access.password or "")
    files = {"caFile": access.ca_file, "certFile": access.cert_file, "keyFile": access.key_file}
    for key, path in files.items():
        if path is not None:
            entry[key] = str(path)
    if access.insecure:
        entry["insecure_skip_tls_verify"] = True
    return str(yaml.safe_dump({"apiVersion": "", "repositories": [entry]}))


def _registry_config(chart: RemoteChart) -> str:
    """A registry configuration (docker's format, as `helm registry login` writes it)."""
    access = chart.access
    if access.username is None:
        return json.dumps({"auths": {}})
    token = base64.b64encode(f"{access.username}:{access.password or ''}".encode()).decode()
    return json.dumps({"auths": {_host(chart.url): {"auth": token}}})


def _tls(access: Access, *, oci: bool) -> list[str]:
    args: list[str] = []
    if access.ca_file is not None:
        args += ["--ca-file", str(access.ca_file)]
    if access.cert_file is not None and access.key_file is not None:
        args += ["--cert-file", str(access.cert_file), "--key-file", str(access.key_file)]
    if access.insecure:
        args.append("--insecure-skip-tls-verify")
    if access.plain_http and oci:
        args.append("--plain-http")
    return args


def _alias(url: str) -> str:
    """A repository name private to this run (the user's own names cannot collide)."""
    return "envman-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def _host(url: str) -> str:
    return urlsplit(url).netloc
