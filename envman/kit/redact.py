"""Secret redaction: every resolved secret value becomes `<redacted>` in anything envman shows."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

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


_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)
_SECRET_KIND = re.compile(r"^kind:\s*['\"]?Secret['\"]?\s*$", re.MULTILINE)
_DATA_KEY = re.compile(r"^(data|stringData):")


def redact_secret_data(manifest: str) -> str:
    """Every value under `data`/`stringData` of each Secret in a rendered manifest becomes
    `<redacted>`: a secret may reach a Secret combined with other text and then encoded."""
    parts = _DOC_SPLIT.split(manifest)
    seps = _DOC_SPLIT.findall(manifest)
    out = [_redact_doc(part) if _SECRET_KIND.search(part) else part for part in parts]
    return "".join(p + (seps[i] if i < len(seps) else "") for i, p in enumerate(out))


def _redact_doc(doc: str) -> str:
    lines: list[str] = []
    item_indent: int | None = None
    in_data = False
    for line in doc.split("\n"):
        indent = len(line) - len(line.lstrip())
        shown = line
        if line.strip() and indent == 0:
            in_data = bool(_DATA_KEY.match(line))
            item_indent = None
            head, _, inline = line.partition(":")
            if in_data and inline.strip():
                shown = f"{head}: {REDACTED}"  # a flow-style map
        elif in_data and line.strip():
            item_indent = indent if item_indent is None else item_indent
            if indent > item_indent:
                continue  # the rest of a multi-line value
            shown = f"{line.split(':', 1)[0]}: {REDACTED}"
        lines.append(shown)
    return "\n".join(lines)
