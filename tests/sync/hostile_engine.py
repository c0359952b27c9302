"""A deliberately misbehaving LittleHorse-like engine for the sync tests: a small threaded HTTP
server whose admin task listing repeats or cycles its bookmarks, invents pages forever, drips
its answer one byte at a time, sends a huge body or a gzip bomb, or lists bad records among
good ones. ``behaviour`` (a dict shared with the test) says which."""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.db import connections

TENANT = "default"
TYPE = "approve-expense"


def task(task_id: str, run_id: str | None = None, **overrides) -> dict:
    item = {
        "id": task_id,
        "wfRunId": run_id or f"run-{task_id}",
        "userTaskDefName": TYPE,
        "status": "UNASSIGNED",
        "notes": f"Expense {task_id}",
        "scheduledTime": "2026-11-02T10:00:00.000Z",
        "userGroup": {"id": "finance", "name": "finance", "valid": True},
    }
    item.update(overrides)
    return item


_bomb: bytes | None = None


def gzip_bomb(expanded_mb: int = 256) -> bytes:
    """A gzip body of ``expanded_mb`` MB of zeros (about 1/1000 of that on the wire)."""
    global _bomb
    if _bomb is None:
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(expanded_mb):
                out.write(chunk)
        _bomb = buffer.getvalue()
    return _bomb


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, body, status: int = 200) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests += 1
        prefix = f"/{TENANT}/admin/tasks"
        try:
            if url.path == prefix:
                self.listing(query.get("bookmark"))
            elif url.path.startswith(prefix + "/"):
                self.detail(url.path[len(prefix) + 1 :])
            else:
                self._json({"title": "not found"}, 404)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the inbox hung up on us, as it should
        finally:
            # A test's hook may touch the database from this server thread (another worker
            # taking the lease over): that thread's connection must not outlive the request.
            connections.close_all()

    def detail(self, rest: str) -> None:
        details = self.server.behaviour.get("details", {})
        _, task_id = rest.split("/", 1)
        self.server.detail_requests.append(task_id)
        body = details.get(task_id, {"fields": [], "results": {}})
        self._json(body.encode() if isinstance(body, str) else body)

    def listing(self, bookmark: str | None) -> None:
        mode = self.server.behaviour["mode"]
        hook = self.server.behaviour.get("on_listing")
        if hook:
            hook(bookmark)
        if mode == "repeat":  # the same bookmark forever
            self._json({"userTasks": [task(f"t-{bookmark or 0}")], "bookmark": "B1"})
        elif mode == "cycle":  # A -> B -> C -> A ...
            following = {None: "A", "A": "B", "B": "C", "C": "A"}[bookmark]
            self._json({"userTasks": [task(f"t-{bookmark}")], "bookmark": following})
        elif mode == "endless":  # a new page, with new tasks, every time
            number = int(bookmark or 0)
            delay = self.server.behaviour.get("delay", 0)
            time.sleep(delay)
            items = [task(f"e-{number}-{i}") for i in range(50)]
            self._json({"userTasks": items, "bookmark": str(number + 1)})
        elif mode == "drip":  # one byte every `interval` seconds
            body = json.dumps({"userTasks": [task("slow")]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.server.behaviour.get("interval", 2.0))
        elif mode == "huge":  # an endless body with no Content-Length
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"userTasks": [')
            filler = (json.dumps(task("x" * 50)) + ",").encode() * 4000  # ~1 MB
            for _ in range(self.server.behaviour.get("megabytes", 400)):
                self.wfile.write(filler)
            self.wfile.write(b"{}]}")
            self.close_connection = True
        elif mode == "gzip":
            body = gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "records":  # raw bytes: good and bad records on one page
            self._json(self.server.behaviour["body"])
        elif mode == "pages":  # a fixed list of pages, walked by bookmark "1", "2", ...
            pages = self.server.behaviour["pages"]
            number = int(bookmark or 0)
            body = {"userTasks": pages[number]}
            if number + 1 < len(pages):
                body["bookmark"] = str(number + 1)
            self._json(body)
        else:
            raise AssertionError(mode)


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour: dict = {}
        self.requests = 0
        self.detail_requests: list[str] = []  # task ids, in the order asked

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def start() -> HostileServer:
    server = HostileServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
