"""A real HTTP health endpoint for the `http` gate tests: `/healthz/<name>` answers 503
while `<name>` is in the set the context manager yields, 200 otherwise."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from tests.e2e.conftest import Fleet


class _Health(http.server.BaseHTTPRequestHandler):
    failing: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        code = 503 if name in self.failing else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"down")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def health_endpoint() -> Iterator[tuple[str, set[str]]]:
    """The endpoint's base URL (`http://127.0.0.1:PORT/healthz`) and its set of failing names."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/healthz", _Health.failing
    finally:
        server.shutdown()
        _Health.failing.clear()


@contextmanager
def canary_http_gate(prod: Fleet) -> Iterator[set[str]]:
    """An `http` gate on the canary wave (before its helmTest) asking `/healthz/{wave}`; add
    `canary` to the yielded set to make it fail."""
    with health_endpoint() as (base, failing):
        gate = f'        - http: {{url: "{base}/{{wave}}", timeout: 2s}}\n'
        prod.edit(
            "environments/prod.yaml",
            "      gates:\n        - helmTest",
            "      gates:\n" + gate + "        - helmTest",
        )
        yield failing
