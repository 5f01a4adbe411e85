"""Turning helm's JSON outputs (`list`, `history`, `get metadata`) into `ReleaseRevision`s."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from envman.kit.errors import HelmError
from envman.rollout.ports import ReleaseRevision

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# `list` and `history` print the chart as "<name>-<version>"; names may hold dashes and
# digits, so the version is the shortest tail that is a full semantic version.
_CHART = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")


def parse_time(text: str) -> datetime:
    """An RFC 3339 time from helm (nanoseconds allowed); helm's "-" (never) is the epoch."""
    if text in ("", "-"):
        return EPOCH
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise HelmError(f"unexpected time from helm: {text!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_chart(text: str) -> tuple[str, str]:
    """("api", "1.4.2-rc.1") from "api-1.4.2-rc.1"; (text, "") when no version is found."""
    match = _CHART.match(text)
    return (match["name"], match["version"]) if match else (text, "")


def from_list_item(item: Mapping[str, Any], labels: Mapping[str, str]) -> ReleaseRevision:
    """One element of `helm list --output json` (listed with `--time-format` RFC 3339)."""
    chart, version = split_chart(str(item["chart"]))
    return ReleaseRevision(
        name=str(item["name"]),
        namespace=str(item["namespace"]),
        revision=int(item["revision"]),
        status=str(item["status"]),
        chart=chart,
        chart_version=version,
        app_version=str(item.get("app_version") or ""),
        updated=parse_time(str(item["updated"])),
        labels=dict(labels),
    )


def from_history_item(item: Mapping[str, Any], release: str, namespace: str) -> ReleaseRevision:
    """One element of `helm history --output json` (it names neither release nor namespace)."""
    return from_list_item({**item, "name": release, "namespace": namespace}, {})


def from_release(doc: Mapping[str, Any], labels: Mapping[str, str]) -> ReleaseRevision:
    """The release JSON `helm upgrade --output json` prints (it has no labels: the caller
    passes the ones it set)."""
    info = doc.get("info") or {}
    metadata = (doc.get("chart") or {}).get("metadata") or {}
    return ReleaseRevision(
        name=str(doc["name"]),
        namespace=str(doc["namespace"]),
        revision=int(doc["version"]),
        status=str(info.get("status", "")),
        chart=str(metadata.get("name", "")),
        chart_version=str(metadata.get("version", "")),
        app_version=str(metadata.get("appVersion") or ""),
        updated=parse_time(str(info.get("last_deployed") or "")),
        labels=dict(labels),
    )


def from_metadata(doc: Mapping[str, Any]) -> ReleaseRevision:
    """`helm get metadata --output json` (helm >= 3.13 and 4): labels included."""
    return ReleaseRevision(
        name=str(doc["name"]),
        namespace=str(doc["namespace"]),
        revision=int(doc["revision"]),
        status=str(doc["status"]),
        chart=str(doc["chart"]),
        chart_version=str(doc["version"]),
        app_version=str(doc.get("appVersion") or ""),
        updated=parse_time(str(doc.get("deployedAt") or "")),
        labels={str(k): str(v) for k, v in (doc.get("labels") or {}).items()},
    )
