"""A local HTTP server on 127.0.0.1 whose answers the test controls, and a free-port finder."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Site:
    """Answers `answers` in turn (then `default`), after `delay` seconds; records request paths."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str]] = []
        self.default: tuple[int, str] = (200, "ok")
        self.delay = 0.0
        self.content_type = "text/plain; charset=utf-8"
        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._answer))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, path: str) -> tuple[int, str, str]:
        self.paths.append(path)
        time.sleep(self.delay)
        status, body = self.answers.pop(0) if self.answers else self.default
        return status, body, self.content_type


def _handler(answer: Callable[[str], tuple[int, str, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, content_type = answer(self.path)
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler
