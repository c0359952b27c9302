"""One process, six HTTP servers: the control API and one per engine, all sharing a Simulator."""

from __future__ import annotations

import gc
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import data
from .core import ApiError, Engine, Request, Response
from .faults import ENGINES, FaultRegistry

DEFAULT_TOKEN = "sim-token"
FREEZE_AT = 10_000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Faults that answer before the engine sees the request: nothing was applied.
UNAPPLIED = frozenset({"status", "429", "malformed"})
# Request headers kept in the write-back log (the ones a connector's correctness depends on).
SKIPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "user-agent",
        "accept",
        "transfer-encoding",
    }
)


def engine_classes() -> dict[str, type[Engine]]:
    from .cloudflare import Cloudflare
    from .docusign import DocuSign
    from .littlehorse import LittleHorse
    from .strategy import Strategy
    from .uipath import UiPath

    return {
        "uipath": UiPath,
        "docusign": DocuSign,
        "cloudflare": Cloudflare,
        "strategy": Strategy,
        "littlehorse": LittleHorse,
    }


class Writebacks:
    """Every write request an engine received, in arrival order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[dict] = []

    def record(self, req: Request) -> dict:
        try:
            body = req.json
        except ApiError:
            body = req.body.decode("utf-8", "replace")
        entry = {
            "method": req.method,
            "path": req.path,
            "query": {k: v[0] if len(v) == 1 else v for k, v in req.query.items()},
            "headers": {k: v for k, v in req.headers.items() if k not in SKIPPED_HEADERS},
            "body": body,
            "time": data.iso_ms(time.time()),
            "status": None,
            "fault": None,
            "applied": False,
        }
        with self._lock:
            self._items.append(entry)
        return entry

    def list(self) -> list[dict]:
        with self._lock:
            return list(self._items)

    def clear(self) -> int:
        with self._lock:
            n = len(self._items)
            self._items.clear()
            return n


class Simulator:
    """All engine state, faults and write-back logs; reset swaps in freshly generated engines."""

    def __init__(
        self, seed: int = 0, scale: int | None = None, token: str = DEFAULT_TOKEN, anchor=None
    ):
        self.token = token
        self.faults = FaultRegistry(seed)
        self.writebacks = {name: Writebacks() for name in ENGINES}
        self.urls: dict[str, str] = {}
        self.engines: dict[str, Engine] = {}
        self.reset(seed, scale, anchor)

    def reset(self, seed: int = 0, scale: int | None = None, anchor=None) -> None:
        self.seed, self.scale = seed, scale
        self.anchor = data.parse_anchor(anchor) if not isinstance(anchor, float) else anchor
        kw = {"seed": seed, "scale": scale, "token": self.token, "anchor": self.anchor}
        with data.bulk():
            engines = {name: cls(**kw) for name, cls in engine_classes().items()}
        self.engines = engines  # the old state is freed here, by reference counting
        del engines
        if (scale or 0) >= FREEZE_AT:
            # Hundreds of thousands of long-lived dicts: keep the cyclic GC from rescanning them
            # on every full collection (which would stall requests for ~0.5 s each time).
            gc.freeze()
        self.faults.clear()
        self.faults.reseed(seed)
        for log in self.writebacks.values():
            log.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections give their thread back eventually
    sim: Simulator
    engine_name: str | None = None  # None = control API
    control = None

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        req = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        if self.engine_name is None:
            self._send(self.control.dispatch(req))
            return
        engine = self.sim.engines[self.engine_name]
        entry = (
            self.sim.writebacks[self.engine_name].record(req)
            if req.method in WRITE_METHODS
            else None
        )
        fault = self.sim.faults.match(self.engine_name, req.method, req.path)
        if entry is not None and fault is not None:
            entry["fault"] = fault.kind
        if fault is not None and fault.kind == "drop":
            self._drop()
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind in ("status", "429"):
            status = 429 if fault.kind == "429" else fault.status
            headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "429" else {}
            err = ApiError(status, "Simulated fault.", headers=headers)
            resp = engine.error_response(req, err)
        elif fault is not None and fault.kind == "malformed":
            resp = Response(
                200, b'{"result": [{"id": "oops", ', {"Content-Type": "application/json"}
            )
        else:
            try:
                with engine.lock:
                    resp = engine.dispatch(req)
            except Exception:  # noqa: BLE001 - a simulator bug must still produce an engine-style 500
                traceback.print_exc(file=sys.stderr)
                resp = engine.error_response(req, ApiError(500, "Internal simulator error."))
        if entry is not None:
            entry["status"] = resp.status
            entry["applied"] = resp.status < 400 and (fault is None or fault.kind not in UNAPPLIED)
        kind = fault.kind if fault is not None else None
        if kind == "applied-timeout":
            time.sleep(fault.delay)  # longer than the client waits: it gives up first
            self._drop()
        elif kind == "applied-drop":
            self._drop()
        elif kind == "applied-502":
            self._send(engine.error_response(req, ApiError(502, "Bad gateway (simulated).")))
        elif kind in ("truncated", "applied-truncated"):
            self._send(resp, truncate=True)
        else:
            self._send(resp)

    def _send(self, resp: Response, truncate: bool = False) -> None:
        # A 204 has no body to cut short: the cut-short answer is a 200 whose body breaks off.
        self.send_response(200 if truncate and resp.status == 204 else resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        body = resp.body
        if truncate and len(body) < 2:
            body = b'{"truncated": true}'
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()
        if truncate:
            self.close_connection = True
            self._drop()

    def _drop(self) -> None:
        """Close the connection abruptly (RST), as a crashed upstream or proxy would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


@dataclass
class SimulatorHandle:
    """A running simulator: URLs to point clients at, the Simulator for direct peeking, stop()."""

    sim: Simulator
    host: str
    control_url: str
    urls: dict[str, str]
    _servers: list = field(default_factory=list, repr=False)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # Shortcuts for in-process tests (the same operations exist on the control API).
    def reset(self, seed: int | None = None, scale: int | None = None) -> None:
        self.sim.reset(self.sim.seed if seed is None else seed, scale, self.sim.anchor)

    def tick(self, limit: int = 3) -> dict[str, int]:
        """Let time pass in every engine (see `Engine.tick`)."""
        moved = {}
        for name, engine in self.sim.engines.items():
            with engine.lock:
                moved[name] = engine.tick(limit)
                engine.changed()
        return moved

    def add_fault(self, **spec) -> dict:
        return self.sim.faults.add(spec).to_json()

    def clear_faults(self) -> None:
        self.sim.faults.clear()

    def writebacks(self, engine: str) -> list[dict]:
        return self.sim.writebacks[engine].list()

    def clear_writebacks(self, engine: str | None = None) -> None:
        for name, log in self.sim.writebacks.items():
            if engine in (None, name):
                log.clear()


def start(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
    scale: int | None = None,
    token: str = DEFAULT_TOKEN,
    anchor: str | None = None,
) -> SimulatorHandle:
    """Serve the control API on `port` and engines on port+1..port+5 (all free ports when 0)."""
    from .control import ControlApi

    sim = Simulator(seed=seed, scale=scale, token=token, anchor=anchor)
    names = [None, *ENGINES]
    servers = []
    try:
        for offset, name in enumerate(names):
            attrs = {
                "sim": sim,
                "engine_name": name,
                "control": ControlApi(sim) if name is None else None,
            }
            handler = type("Handler", (_Handler,), attrs)
            servers.append(_Server((host, port + offset if port else 0), handler))
    except OSError:
        for server in servers:
            server.server_close()
        raise
    url = {n: f"http://{host}:{s.server_address[1]}" for n, s in zip(names, servers, strict=True)}
    sim.urls = {n: url[n] for n in ENGINES}
    for server in servers:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return SimulatorHandle(sim, host, url[None], dict(sim.urls), servers)
