"""`envman.lock`: the pinned digest of every remote chart (pure: text in, text out).

The file is YAML, written by `envman deps` and committed: a header comment saying what it
is and how to update it, `formatVersion`, then one entry per chart version, ordered by
repository, chart and version, each key on its own line, so a review shows exactly which
pin moved::

    formatVersion: 1
    charts:
    - repository: https://charts.example.com/stable
      chart: web
      version: 1.2.0
      digest: sha256:4f1c...             # sha256 of the chart archive (.tgz)
    - repository: oci://registry.example.com/charts
      chart: api
      version: 0.3.1
      digest: sha256:9b0e...
      manifest: sha256:c922...           # OCI only: the manifest digest the registry served

A chart is identified by its repository's URL (an HTTP(S) repository, or the OCI path that
holds the chart), not by the name an environment gives the repository, so environments that
name one repository differently share its pins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, Field, ValidationError

from envman.kit.errors import Problem, SpecError
from envman.kit.strict import Strict
from envman.spec.pydantic_errors import problems_from
from envman.spec.yamlsrc import parse

LOCK_FILE = "envman.lock"
FORMAT_VERSION = 1
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
HEADER = """\
# envman.lock: the sha256 of every remote chart the environments use, written by `envman deps`.
# plan, render and sync refuse a chart whose archive differs from its pin here, and a remote
# chart not pinned here. Commit this file; review a change of it as you review code.
# To take a republished or new chart on purpose: envman deps --update [--app APP]
"""


@dataclass(frozen=True, order=True)
class ChartKey:
    """One version of one chart of one repository."""

    repository: str
    chart: str
    version: str

    def __str__(self) -> str:
        return f"{self.repository} {self.chart} {self.version}"


@dataclass(frozen=True)
class Pin:
    """What `envman.lock` holds for a chart version."""

    digest: str
    """`sha256:<hex>` of the chart archive."""
    manifest: str | None = None
    """OCI: `sha256:<hex>` of the manifest the registry served."""


@dataclass
class ChartLock:
    pins: dict[ChartKey, Pin] = field(default_factory=dict)


def _digest(value: str) -> str:
    if not _DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not a digest: 'sha256:' and 64 lowercase hex digits")
    return value


Digest = Annotated[str, AfterValidator(_digest)]


class _LockedChart(Strict):
    repository: str
    chart: str
    version: str
    digest: Digest
    manifest: Digest | None = None


class _LockFile(Strict):
    formatVersion: Literal[1]
    charts: list[_LockedChart] = Field(default_factory=list)


def parse_lock(text: str, file: str = LOCK_FILE) -> ChartLock:
    """The pins of a lock file's text; a located `SpecError` for anything else."""
    doc = parse(text, file)
    try:
        model = _LockFile.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        raise SpecError(problems_from(exc, _LockFile, doc.locations)) from exc
    lock = ChartLock()
    problems = []
    for index, entry in enumerate(model.charts):
        key = ChartKey(entry.repository.rstrip("/"), entry.chart, entry.version)
        if key in lock.pins:
            where = doc.locations.key(("charts", index))
            problems.append(Problem(f"charts[{index}]: {key} is pinned twice", where))
        lock.pins[key] = Pin(entry.digest, entry.manifest)
    if problems:
        raise SpecError(problems)
    return lock


def dump_lock(lock: ChartLock) -> str:
    """The lock file's text: header, format version, entries in (repository, chart,
    version) order (versions compared number by number)."""
    charts = []
    for key in sorted(lock.pins, key=_order):
        pin = lock.pins[key]
        entry = {"repository": key.repository, "chart": key.chart, "version": key.version}
        entry["digest"] = pin.digest
        if pin.manifest is not None:
            entry["manifest"] = pin.manifest
        charts.append(entry)
    document = {"formatVersion": FORMAT_VERSION, "charts": charts}
    return HEADER + str(yaml.safe_dump(document, sort_keys=False, width=1000))


def _order(key: ChartKey) -> tuple[str, str, list[tuple[int, str]]]:
    parts = re.split(r"(\d+)", key.version)
    return key.repository, key.chart, [(int(p), "") if p.isdigit() else (-1, p) for p in parts if p]
