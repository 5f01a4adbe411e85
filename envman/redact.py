"""Secret redaction: every resolved secret value becomes `<redacted>` in anything envman shows."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Mapping
from typing import Any

from envman.spec.merge import get_path, set_path

REDACTED = "<redacted>"


class Redactor:
    """Replaces known secret values (plain and base64-encoded, as in Secret data) in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._needles: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if secret:
                self._needles.add(secret)
                self._needles.add(base64.b64encode(secret.encode()).decode())

    def text(self, text: str) -> str:
        for needle in sorted(self._needles, key=len, reverse=True):
            text = text.replace(needle, REDACTED)
        return text

    def __bool__(self) -> bool:
        return bool(self._needles)


def redact_paths(values: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of `values` with the value at each dotted path replaced by `<redacted>`."""
    out = copy.deepcopy(dict(values))
    for path in paths:
        found, _ = get_path(out, path)
        if found:
            set_path(out, path, REDACTED)
    return out
