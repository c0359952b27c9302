"""The pieces every simulated engine shares: requests, responses, routing, errors and auth."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """Raised by a handler; the engine renders it in its own error format."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: Any = None,
        title: str | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.title = title
        self.extra = extra or {}
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def q_int(
        self, name: str, default: int | None = None, lo: int = 0, hi: int = 10**9
    ) -> int | None:
        raw = self.q(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"Query parameter {name!r} must be an integer.") from None
        if not lo <= value <= hi:
            raise ApiError(400, f"Query parameter {name!r} must be between {lo} and {hi}.")
        return value

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, None when empty; a malformed body is a 400, and so is one with
        NaN or Infinity (not JSON: the engines' parsers refuse them too)."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body, parse_constant=_no_constant)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None

    def json_object(self) -> dict:
        body = self.json
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def cache_key(self) -> tuple:
        """What a GET's answer depends on besides the engine's state: the path, the caller
        and the query (in a canonical order)."""
        query = tuple(sorted((k, tuple(v)) for k, v in self.query.items()))
        return (self.method, self.path, self.header("authorization"), query)

    def bearer(self) -> str | None:
        auth = self.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, obj: Any, status: int = 200, content_type: str = JSON, headers=None) -> Response:
        return cls(status, encode(obj), {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def encode(obj: Any) -> bytes:
    """Compact JSON bytes: orjson (an order of magnitude faster on big list pages); what it
    refuses (lone surrogates, integers past 64 bits, keys that are not strings) goes through
    ``json``. No state holds NaN or Infinity (request bodies with them are refused), which
    orjson would write as null."""
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(obj, separators=(",", ":")).encode()


def route(method: str, pattern: str) -> Callable:
    """Mark an engine method as the handler for METHOD + path regex (full match, named groups)."""

    def mark(fn: Callable) -> Callable:
        fn._route = (method, re.compile(pattern))
        return fn

    return mark


def ci(obj: dict) -> dict:
    """Top-level keys lower-cased: ASP.NET model binding (UiPath) ignores the case of JSON names."""
    return {str(k).lower(): v for k, v in obj.items()}


def trace_id() -> str:
    return uuid.uuid4().hex


class Engine:
    """Base for one simulated engine: state lives on the subclass, guarded by `self.lock`."""

    name = "engine"

    def __init__(self, *, seed: int, scale: int | None, token: str, anchor: float):
        self.seed = seed
        self.scale = scale
        self.token = token
        self.anchor = anchor
        self.lock = threading.RLock()
        self._routes = self._collect_routes()

    @classmethod
    def _collect_routes(cls) -> list:
        # Plain functions, not bound methods: a bound method would make a reference cycle that only
        # the cyclic GC can free, and large seeded states are frozen out of the GC's reach.
        routes = [
            (fn._route[0], fn._route[1], fn)
            for fn in (getattr(cls, n) for n in dir(cls) if not n.startswith("__"))
            if callable(fn) and hasattr(fn, "_route")
        ]
        # Longer patterns first so literal segments win over catch-alls.
        routes.sort(key=lambda r: -len(r[1].pattern))
        return routes

    # -- list caching -------------------------------------------------------------------------
    # A list page at --scale 100000 used to filter (and sort) every record for every page. The
    # filtered, ordered list of a query is now kept until the engine's state next changes:
    # every write request (`dispatch`), every control-API call and every tick bump
    # `generation` (`changed()`); code that edits engine state directly must call `changed()`.
    generation = 0
    CACHED_QUERIES = 16

    # Encoded list pages (the response bytes of one page of one query) are kept the same way,
    # apart from the queries (a walk of 100 pages must not evict them), up to PAGE_CACHE_BYTES
    # per engine (at --scale 100000 every UiPath instance and task page fits); past it the
    # oldest pages go first.
    PAGE_CACHE_BYTES = 1024 * 1024 * 1024

    def changed(self) -> None:
        """Forget cached list queries: the state they were computed from has changed."""
        self.generation += 1
        self.__dict__.pop("_query_cache", None)
        self.__dict__.pop("_page_cache", None)
        self._page_cache_bytes = 0

    def cached(self, key, build: Callable[[], Any]) -> Any:
        """`build()` for this query key, reused until the next `changed()`. Callers must not
        mutate the result."""
        cache = self.__dict__.setdefault("_query_cache", {})
        entry = cache.get(key)
        if entry is not None and entry[0] == self.generation:
            return entry[1]
        value = build()
        if len(cache) >= self.CACHED_QUERIES:
            cache.clear()
        cache[key] = (self.generation, value)
        return value

    def cached_page(self, key, build: Callable[[], bytes]) -> bytes:
        """The encoded page ``build()`` returns for this key, reused until the next
        ``changed()``."""
        cache = self.__dict__.setdefault("_page_cache", {})
        entry = cache.get(key)
        if entry is not None and entry[0] == self.generation:
            return entry[1]
        body = build()
        size = self.__dict__.get("_page_cache_bytes", 0) + len(body)
        while cache and size > self.PAGE_CACHE_BYTES:
            size -= len(cache.pop(next(iter(cache)))[1])
        cache[key] = (self.generation, body)
        self._page_cache_bytes = size
        return body

    # -- to override ------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        """Raise ApiError(401/403) unless the request carries valid credentials."""
        if req.bearer() is None:
            raise ApiError(401, "Missing bearer token.")
        if req.bearer() != self.token:
            raise ApiError(401, "Invalid bearer token.")

    def error_response(self, req: Request, err: ApiError) -> Response:
        return Response.json({"message": err.message}, err.status, headers=err.headers)

    # -- shared ---------------------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            self.changed()
        try:
            self.authenticate(req)
            allowed = []
            for method, pattern, fn in self._routes:
                m = pattern.fullmatch(req.path)
                if not m:
                    continue
                if method != req.method:
                    allowed.append(method)
                    continue
                req.params = m.groupdict()
                return fn(self, req)
            if allowed:
                raise ApiError(405, f"Method {req.method} is not allowed on this resource.")
            raise ApiError(404, f"No route for {req.method} {req.path}.")
        except ApiError as err:
            return self.error_response(req, err)

    # Control-API hooks (engines override what they support).
    def tick(self, limit: int = 3) -> int:
        """Let time pass: move up to `limit` things on as the engine itself would; returns how many."""
        return 0

    def ctl_ids(self) -> list[str]:
        return []

    def ctl_create_instance(self, body: dict) -> dict:
        raise ApiError(400, f"{self.name} does not support creating instances here.")

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        raise ApiError(400, f"{self.name} does not support instance action {action!r}.")

    def ctl_create_task(self, body: dict) -> dict:
        raise ApiError(400, f"{self.name} has no tasks to create.")

    def ctl_task_action(self, task_id: str, action: str, body: dict) -> dict:
        raise ApiError(400, f"{self.name} does not support task action {action!r}.")

    def identities(self) -> dict:
        return {}
