"""The HTTP side: one loopback port per cluster, plus an admin port for the whole process.

Cluster ports speak the Kubernetes REST API (JSON replies, chunked watch streams). The admin
port answers `GET /status`, `GET /counters`, `POST /fail`, `POST /heal`,
`POST /counters/reset` and `POST /shutdown`.
"""

from __future__ import annotations

import json
import queue
import selectors
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from envman.sandbox.api import Api, ApiSnapshot
from envman.sandbox.argocd.hub import Hub, HubSettings
from envman.sandbox.controllers import Controllers
from envman.sandbox.controllers.failures import DEFAULT_MODE
from envman.sandbox.messages import JSON, Reply, WatchReply
from envman.sandbox.ownership import DEFAULT_MANAGER
from envman.sandbox.routes import Request, encode, route
from envman.sandbox.status import ApiError

Obj = dict[str, Any]
HOST = "127.0.0.1"
DEFAULT_READY_DELAY = 0.3


class Cluster:
    """One emulated cluster: its objects, controllers and request counters."""

    def __init__(self, name: str, ready_delay: float) -> None:
        self.name = name
        self.api = Api()
        self.controllers = Controllers(self.api, ready_delay)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, verb: str) -> None:
        with self._lock:
            self._counts[verb] += 1
            self._counts["total"] += 1

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset_counters(self) -> None:
        with self._lock:
            self._counts.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    """socketserver's default backlog of 5 overflows when many helm processes connect at once
    while the accepting thread waits for the GIL; clients then saw connections reset."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (helm ending a watch) is normal; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ClusterServer(_Server):
    """The HTTP server of one cluster."""

    def __init__(self, cluster: Cluster, port: int = 0) -> None:
        super().__init__((HOST, port), ClusterHandler)
        self.cluster = cluster
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def _verb(method: str, query: dict[str, str]) -> str:
    if method == "GET" and query.get("watch") in ("true", "1"):
        return "watch"
    return method.lower()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, payload: bytes, content_type: str = JSON) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(payload)


class ClusterHandler(_Handler):
    """Kubernetes REST requests for one cluster."""

    server: ClusterServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        query[DEFAULT_MANAGER] = (self.headers.get("User-Agent") or "unknown").split("/")[0] or "unknown"
        request = Request(
            method,
            parts.path,
            query,
            self.headers.get("Content-Type") or JSON,
            self._body(),
            self.headers.get("Accept") or "",
        )
        cluster = self.server.cluster
        cluster.count(_verb(method, request.query))
        address = f"{HOST}:{self.server.port}"
        try:
            result = route(cluster.api, request, address)
        except ApiError as exc:
            self._send(exc.code, encode(exc.status()))
            return
        if isinstance(result, WatchReply):
            self._stream(result)
        else:
            self._reply(result)

    def _reply(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            self._send(reply.code, reply.body, reply.media)
        elif isinstance(reply.body, str):
            self._send(reply.code, reply.body.encode(), "text/plain; charset=utf-8")
        else:
            self._send(reply.code, encode(reply.body))

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, kind: str, obj: Obj, reply: WatchReply) -> None:
        if obj.get("apiVersion") != reply.api_version:
            obj = {**obj, "apiVersion": reply.api_version}
        if reply.transform is not None and kind != "BOOKMARK":
            obj = reply.transform(obj)
        self._chunk(encode({"type": kind, "object": obj}) + b"\n")

    def _stream(self, reply: WatchReply) -> None:
        store = self.server.cluster.api.store
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            for kind, obj in reply.initial:
                self._event(kind, obj, reply)
            self._drain(reply)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            store.unwatch(reply.watcher)

    def _drain(self, reply: WatchReply) -> None:
        """Stream the watcher's events until the watch times out or the server stops (which
        closes every watcher, waking this thread)."""
        deadline = time.monotonic() + reply.timeout
        while not self.server.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                item = reply.watcher.queue.get(timeout=remaining)
            except queue.Empty:
                return
            if item is None:
                return
            self._event(item[0], item[1], reply)


class Acceptor:
    """One thread that accepts the connections of every server of the process; it blocks
    until a connection comes (no polling), each connection then has its own thread."""

    def __init__(self, servers: Iterable[_Server]) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake, self._waker = socket.socketpair()
        self._selector.register(self._wake, selectors.EVENT_READ, None)
        for server in servers:
            server.timeout = 0
            self._selector.register(server, selectors.EVENT_READ, server)
        self._thread = threading.Thread(target=self._run, daemon=True, name="acceptor")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is None:
                    return
                key.data.handle_request()

    def stop(self) -> None:
        self._waker.send(b"x")
        self._thread.join(timeout=5)
        self._selector.close()
        self._wake.close()
        self._waker.close()


class AdminServer(_Server):
    """The process's admin endpoint."""

    def __init__(self, sandbox: Sandbox, port: int = 0) -> None:
        super().__init__((HOST, port), AdminHandler)
        self.sandbox = sandbox


class AdminHandler(_Handler):
    """fail / heal / status / counters / shutdown."""

    server: AdminServer

    def do_GET(self) -> None:
        sandbox = self.server.sandbox
        path = urlsplit(self.path).path
        if path == "/status":
            self._json(200, sandbox.status())
        elif path == "/counters":
            self._json(200, sandbox.counters())
        else:
            self._json(404, {"error": f"unknown path {path}"})

    def do_POST(self) -> None:
        sandbox = self.server.sandbox
        path = urlsplit(self.path).path
        try:
            args = json.loads(self._body() or b"{}")
            if path == "/fail":
                sandbox.fail(str(args["cluster"]), args.get("app"), str(args.get("mode") or DEFAULT_MODE))
            elif path == "/heal":
                sandbox.heal(str(args["cluster"]))
            elif path == "/counters/reset":
                sandbox.reset_counters()
            elif path == "/shutdown":
                threading.Thread(target=sandbox.stop, daemon=True).start()
            else:
                self._json(404, {"error": f"unknown path {path}"})
                return
        except (KeyError, ValueError) as exc:
            self._json(400, {"error": f"bad request: {exc}"})
            return
        self._json(200, sandbox.status())

    def _json(self, code: int, doc: Obj) -> None:
        self._send(code, encode(doc))


class Sandbox:
    """Every cluster of one sandbox, served from this process."""

    def __init__(
        self,
        names: Iterable[str],
        ready_delay: float = DEFAULT_READY_DELAY,
        hub: HubSettings | None = None,
        restore: Mapping[str, ApiSnapshot] | None = None,
    ) -> None:
        """Serve `names`; with `hub`, also the Argo CD hub context (see `argocd.hub.HubSettings`);
        each cluster in `restore` starts holding what its snapshot held (`snapshot`)."""
        names = [*names, *([hub.context] if hub else [])]
        self.clusters = {name: Cluster(name, ready_delay) for name in names}
        for name, snapshot in (restore or {}).items():
            self._cluster(name).api.restore(snapshot)
        self.servers = {name: ClusterServer(c) for name, c in self.clusters.items()}
        self.admin = AdminServer(self)
        self.stopped = threading.Event()
        self._acceptor = Acceptor([*self.servers.values(), self.admin])
        apis = {name: cluster.api for name, cluster in self.clusters.items()}
        self.hub = Hub(hub, apis, self.ports) if hub else None

    @property
    def ports(self) -> dict[str, int]:
        return {name: server.port for name, server in self.servers.items()}

    @property
    def admin_port(self) -> int:
        return int(self.admin.server_address[1])

    def start(self) -> None:
        for cluster in self.clusters.values():
            cluster.controllers.start()
        if self.hub is not None:
            self.hub.start()
        self._acceptor.start()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        if self.hub is not None:
            self.hub.stop()
        for name, cluster_server in self.servers.items():
            cluster_server.stopping.set()
            self.clusters[name].api.store.close_watchers()
        self._acceptor.stop()
        servers: list[_Server] = [*self.servers.values(), self.admin]
        for server in servers:
            server.server_close()
        for cluster in self.clusters.values():
            cluster.controllers.stop()
        self.stopped.set()

    def snapshot(self) -> dict[str, ApiSnapshot]:
        """What every cluster holds, to start another sandbox from (`restore`)."""
        return {name: cluster.api.snapshot() for name, cluster in self.clusters.items()}

    def _cluster(self, name: str) -> Cluster:
        if name not in self.clusters:
            raise KeyError(f"no cluster {name!r} in this sandbox")
        return self.clusters[name]

    def fail(self, cluster: str, app: str | None = None, mode: str = DEFAULT_MODE) -> None:
        """From now on, pods of new templates of `app` (or all) in `cluster` fail in `mode`."""
        self._cluster(cluster).controllers.pods.fail(app, mode)

    def heal(self, cluster: str) -> None:
        self._cluster(cluster).controllers.pods.heal()

    def counters(self) -> dict[str, dict[str, int]]:
        return {name: c.counters() for name, c in self.clusters.items()}

    def reset_counters(self) -> None:
        for cluster in self.clusters.values():
            cluster.reset_counters()

    def status(self) -> Obj:
        return {
            "clusters": {
                name: {
                    "port": self.servers[name].port,
                    "failing": c.controllers.pods.report(),
                    "syncs": c.controllers.syncs,
                }
                for name, c in self.clusters.items()
            },
            "admin_port": self.admin_port,
        }
