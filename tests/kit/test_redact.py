"""Secret values never leave envman: plain, base64-encoded, or inside Secret data."""

from __future__ import annotations

import base64
import errno
import io

import pytest

from envman.kit.redact import REDACTED, RedactingStream, Redactor, redact_secret_data


def test_plain_and_base64_forms_are_replaced() -> None:
    redactor = Redactor(["hunter2-long", ""])
    encoded = base64.b64encode(b"hunter2-long").decode()
    assert redactor.text(f"a hunter2-long b {encoded}") == f"a {REDACTED} b {REDACTED}"
    assert not Redactor([""]), "an empty secret redacts nothing"


def test_every_secret_data_value_is_redacted() -> None:
    manifest = (
        "---\nkind: Secret\nmetadata:\n  name: a\ndata:\n  dsn: cG9zdGdyZXM6Ly91OnBAaA==\n  pem: |\n"
        "    -----BEGIN-----\n    abc\nstringData: {token: t0k3n}\ntype: Opaque\n"
        "---\nkind: ConfigMap\ndata:\n  keep: visible\n"
    )
    assert redact_secret_data(manifest) == (
        "---\nkind: Secret\nmetadata:\n  name: a\ndata:\n  dsn: <redacted>\n  pem: <redacted>\n"
        "stringData: <redacted>\ntype: Opaque\n"
        "---\nkind: ConfigMap\ndata:\n  keep: visible\n"
    )


class _Pipe(io.StringIO):
    """A stream whose reader went away after `room` writes."""

    def __init__(self, room: int, error: Exception) -> None:
        super().__init__()
        self.room, self.error, self.writes = room, error, 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > self.room:
            raise self.error
        return super().write(text)


@pytest.mark.parametrize(
    "error", [BrokenPipeError(errno.EPIPE, "Broken pipe"), OSError(errno.EPIPE, "Broken pipe")]
)
def test_a_stream_whose_reader_went_away_drops_output_instead_of_raising(error: Exception) -> None:
    raw = _Pipe(1, error)
    stream = RedactingStream(raw, Redactor(["s3cret-value"]))

    stream.write("first s3cret-value\n")
    stream.write("second\n")
    stream.write("third\n")
    stream.flush()

    assert raw.getvalue() == f"first {REDACTED}\n"
    assert stream.dropping and raw.writes == 2  # nothing tried after the first failure
    assert not stream.isatty()


def test_a_closed_stream_drops_output_and_other_errors_still_raise() -> None:
    closed = io.StringIO()
    closed.close()
    stream = RedactingStream(closed, Redactor())
    stream.write("into a closed file\n")
    stream.flush()
    assert stream.dropping and not stream.isatty()

    full = RedactingStream(_Pipe(0, OSError(errno.ENOSPC, "No space left on device")), Redactor())
    with pytest.raises(OSError, match="No space"):
        full.write("x")
    assert not full.dropping


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", "postgres://app:"])
@pytest.mark.parametrize("suffix", ["", "@db", "-x"])
def test_a_secret_inside_a_longer_base64_encoded_text_is_redacted(prefix: str, suffix: str) -> None:
    secret = "demo-db-secret"
    encoded = base64.b64encode(f"{prefix}{secret}{suffix}".encode()).decode()
    shown = Redactor([secret]).text(f"url: {encoded}")
    assert shown.count(REDACTED) == 1, shown
    hidden = len(encoded) - len(shown.removeprefix("url: ").replace(REDACTED, ""))
    assert hidden >= 4 * len(secret) // 3 - 2  # every character only the secret decides


def test_hex_and_case_changed_copies_of_a_secret_are_redacted() -> None:
    secret = "demo-db-Secret"
    redactor = Redactor([secret])
    for shown in (secret.upper(), secret.lower(), secret.encode().hex(), secret.encode().hex().upper()):
        assert redactor.text(f"x={shown};") == f"x={REDACTED};", shown
    assert Redactor(["Ab1"]).text("AB1 ab1") == "AB1 ab1"  # too short to chase its copies
