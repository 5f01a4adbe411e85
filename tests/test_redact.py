"""Secret values never leave envman: plain, base64-encoded, or inside Secret data."""

from __future__ import annotations

import base64

from envman.kit.redact import REDACTED, Redactor, redact_secret_data


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
