"""Rendering a chart as Argo CD's repo server does: `helm template` with the Application's helm
settings, the destination's Kubernetes version and API versions, CRDs included."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from envman.sandbox.argocd.sources import SourceError

Obj = dict[str, Any]

_TIMEOUT = 120.0


@dataclass(frozen=True)
class Capabilities:
    """What the destination serves, passed to helm as Argo CD passes it."""

    kube_version: str
    api_versions: tuple[str, ...]


def _values_file(helm: Obj, folder: Path) -> list[str]:
    """`-f` for `valuesObject` (which wins over `values`) or `values`, as Argo CD writes them."""
    if helm.get("valuesObject") is not None:
        text = json.dumps(helm["valuesObject"])
    elif helm.get("values"):
        text = str(helm["values"])
    else:
        return []
    path = folder / "values.yaml"
    path.write_text(text)
    return ["-f", str(path)]


def _value_files(helm: Obj, chart: Path) -> list[str]:
    args: list[str] = []
    for name in helm.get("valueFiles") or []:
        path = Path(name) if Path(name).is_absolute() else chart / str(name)
        if not path.is_file():
            if helm.get("ignoreMissingValueFiles"):
                continue
            raise SourceError(f"{name}: no such file or directory")
        args += ["-f", str(path)]
    return args


def _parameters(helm: Obj) -> list[str]:
    args: list[str] = []
    for parameter in helm.get("parameters") or []:
        flag = "--set-string" if parameter.get("forceString") else "--set"
        args += [flag, f"{parameter.get('name')}={parameter.get('value', '')}"]
    for parameter in helm.get("fileParameters") or []:
        args += ["--set-file", f"{parameter.get('name')}={parameter.get('path')}"]
    return args


def template_command(
    helm_binary: Path, chart: Path, release: str, namespace: str, helm: Obj, caps: Capabilities, folder: Path
) -> list[str]:
    """The `helm template` command line (values go through files in `folder`)."""
    command = [str(helm_binary), "template", release, str(chart), "--namespace", namespace]
    command += _value_files(helm, chart) if chart.is_dir() else []
    command += _values_file(helm, folder) + _parameters(helm)
    command += ["--kube-version", caps.kube_version]
    for api_version in caps.api_versions:
        command += ["--api-versions", api_version]
    command.append("--skip-crds" if helm.get("skipCrds") else "--include-crds")
    if helm.get("skipTests"):
        command.append("--skip-tests")
    return command


def template(
    helm_binary: Path, chart: Path, release: str, namespace: str, helm: Obj, caps: Capabilities, home: Path
) -> list[Obj]:
    """The objects `helm template` renders (hooks included: Argo CD runs them as its hooks)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    with tempfile.TemporaryDirectory(dir=home) as folder:
        command = template_command(helm_binary, chart, release, namespace, helm, caps, Path(folder))
        shown = " ".join(["helm", *command[1:]])
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=_TIMEOUT, env=env, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceError(f"`{shown}` failed: {exc}") from exc
    if done.returncode != 0:
        raise SourceError(f"`{shown}` failed exit status {done.returncode}: {done.stderr.strip()}")
    return objects_of(done.stdout)


def objects_of(manifest: str) -> list[Obj]:
    """The objects of a multi-document manifest (Lists flattened, empty documents dropped)."""
    try:
        documents: Sequence[Any] = list(YAML(typ="safe").load_all(manifest))
    except YAMLError as exc:
        raise SourceError(f"failed to unmarshal manifest: {exc}") from exc
    found: list[Obj] = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        if str(document.get("kind", "")).endswith("List") and isinstance(document.get("items"), list):
            found += [item for item in document["items"] if isinstance(item, dict)]
        elif document.get("kind") and document.get("apiVersion"):
            found.append(document)
        else:
            raise SourceError(f"Object 'Kind' is missing in '{json.dumps(document)[:200]}'")
    return found
