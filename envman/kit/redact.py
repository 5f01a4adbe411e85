"""Secret redaction: every resolved secret value becomes `<redacted>` in anything envman shows."""

from __future__ import annotations

import base64
import contextlib
import errno
import io
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

REDACTED = "<redacted>"


MIN_LINE = 8
"""A line of a multi-line secret shorter than this (`-----`, a blank) is not a needle of its own."""


class Redactor:
    """Replaces known secret values in text, in every encoding output gives them: plain,
    base64 (as in Secret data, also wrapped at 64 and 76 columns, or inside a longer encoded
    text), hex and upper- or lower-cased (a secret of 8 characters or more), JSON- and
    YAML-escaped, and for a multi-line secret (a PEM key) each of its lines and its lines
    joined by spaces or escaped newlines. A secret is redacted whatever its length (`validate` warns about
    short ones)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._needles: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if secret:
                self._needles.update(n for n in encodings(secret) if n)

    def text(self, text: str) -> str:
        for needle in sorted(self._needles, key=len, reverse=True):
            text = text.replace(needle, REDACTED)
        return text

    def __bool__(self) -> bool:
        return bool(self._needles)


def encodings(secret: str) -> set[str]:
    """Every form of `secret` that output may carry."""
    encoded = base64.b64encode(secret.encode()).decode()
    forms = {secret, encoded, json.dumps(secret)[1:-1], secret.replace("'", "''")}
    forms.update(_base64_inside(secret.encode()))
    if len(secret) >= MIN_LINE:  # what a template's `upper`, `lower` or `printf "%x"` makes of it
        hexed = secret.encode().hex()
        forms.update({secret.upper(), secret.lower(), hexed, hexed.upper()})
    for width in (64, 76):
        forms.update(encoded[i : i + width] for i in range(0, len(encoded), width) if len(encoded) > width)
    lines = [line.strip() for line in secret.splitlines()]
    if len(lines) > 1:
        forms.update(line for line in lines if len(line) >= MIN_LINE)
        forms.add(" ".join(line for line in lines if line))
        forms.add("\\n".join(lines))
    return forms


def _base64_inside(secret: bytes) -> set[str]:
    """The base64 characters that only `secret` decides, wherever it stands in a longer
    encoded text (`postgres://app:<secret>@db`, base64-encoded): one form per byte offset
    modulo 3. Only for secrets long enough that these forms cannot be chance text."""
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret).decode()
        first, end = -(-8 * offset // 6), 8 * (offset + len(secret)) // 6  # whole 6-bit groups
        if end - first >= MIN_LINE:
            forms.add(encoded[first:end])
    return forms


_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)
_SECRET_KIND = re.compile(r"^kind:\s*['\"]?Secret['\"]?\s*$", re.MULTILINE)
_DATA_KEY = re.compile(r"^(data|stringData):")


def redact_secret_data(manifest: str) -> str:
    """Every value under `data`/`stringData` of each Secret in a rendered manifest becomes
    `<redacted>`: a secret may reach a Secret combined with other text and then encoded."""
    parts = _DOC_SPLIT.split(manifest)
    seps = _DOC_SPLIT.findall(manifest)
    out = [_redact_part(part) for part in parts]
    return "".join(p + (seps[i] if i < len(seps) else "") for i, p in enumerate(out))


def _redact_part(part: str) -> str:
    import yaml  # only `render` and `diff` redact manifests: every command's sink need not load it

    if _SECRET_KIND.search(part):
        return _redact_doc(part)
    if "Secret" not in part:
        return part
    try:  # JSON, flow style, or a `kind: List` holding Secrets
        doc = yaml.safe_load(part)
    except yaml.YAMLError:
        return part
    if not _hide_secret_data(doc):
        return part
    lines = part.splitlines(keepends=True)
    head = 0
    while head < len(lines) and (not lines[head].strip() or lines[head].lstrip().startswith("#")):
        head += 1
    prefix, body = "".join(lines[:head]), "".join(lines[head:])
    if body.lstrip().startswith("{"):
        return prefix + json.dumps(doc, indent=2) + "\n"
    return prefix + str(yaml.safe_dump(doc, sort_keys=False))


def _hide_secret_data(doc: Any) -> bool:
    """Replace the data of every Secret in `doc` (a List's items too); True if any."""
    if not isinstance(doc, dict):
        return False
    found = False
    if doc.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if isinstance(doc.get(key), dict):
                doc[key] = dict.fromkeys(doc[key], REDACTED)
                found = True
    for item in doc.get("items") or [] if isinstance(doc.get("items"), list) else []:
        found = _hide_secret_data(item) or found
    return found


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


class RedactingStream(io.TextIOBase):
    """A text stream that writes through `redactor`: installed as `sys.stdout` and
    `sys.stderr` for a command, so every byte envman prints (echo, log records, the live
    view) passes the one sink that knows every resolved secret.

    A closed reader (`envman sync ... | head -3`) never stops the command: the first write
    or flush that fails with a broken pipe, or on a closed file, makes the stream drop
    everything after it, and points the file descriptor underneath at /dev/null so the
    interpreter's own flush at exit has nowhere to fail either."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.raw = stream
        self._redactor = redactor
        self.dropping = False
        """True once the reader went away: output is dropped."""

    def write(self, text: str) -> int:
        if not self.dropping:
            try:
                self.raw.write(self._redactor.text(text))
            except (OSError, ValueError) as exc:
                self._drop(exc)
        return len(text)

    def flush(self) -> None:
        if not self.dropping:
            try:
                self.raw.flush()
            except (OSError, ValueError) as exc:
                self._drop(exc)

    def _drop(self, exc: OSError | ValueError) -> None:
        if not _gone(exc, self.raw):
            raise exc
        self.dropping = True
        _to_devnull(self.raw)

    def isatty(self) -> bool:
        try:
            return not self.dropping and self.raw.isatty()
        except ValueError:  # closed
            return False

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        """Bytes written here bypass redaction: click writes text, never through this."""
        return getattr(self.raw, "buffer", None)


def write_redacted(path: Path, text: str, redactor: Redactor, *, append: bool = False) -> None:
    """Write `text` to the file at `path` through the sink stdout and stderr pass (a
    `RedactingStream` with the command's redactor): every file envman writes for people or CI
    goes through here (`Application.write`), so no file holds a secret in any encoding."""
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        sink = RedactingStream(handle, redactor)
        sink.write(text)
        sink.flush()


def _gone(exc: OSError | ValueError, stream: TextIO) -> bool:
    """The reader of `stream` went away (EPIPE), or `stream` was closed."""
    if isinstance(exc, OSError):
        return exc.errno == errno.EPIPE
    return not isinstance(exc, UnicodeError) and bool(getattr(stream, "closed", False))


def _to_devnull(stream: TextIO) -> None:
    """Point the descriptor under `stream` at /dev/null: what is still buffered above it is
    flushed there at exit instead of failing with `Exception ignored ... BrokenPipeError`."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        descriptor = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, descriptor)
        finally:
            os.close(null)
