"""The one bounded httpx client for upstream calls, and error translation.

Every call is bounded three ways:

- **time**: ``SYNC_HTTP_TIMEOUT`` is the TOTAL time one response may take (connect, headers and
  the whole body), checked between the chunks of a streamed body, so an engine dripping one
  byte every two seconds is cut off like a silent one; inside a poll the poll's own deadline
  (``poll_budget``) bounds it further;
- **size**: bodies are streamed and refused past ``SYNC_HTTP_MAX_BODY_BYTES`` (20 MB by default),
  counted after decompression too (gzip and deflate are decoded here, chunk by chunk, with a
  bounded output per step, so a gzip bomb never expands in memory);
- **retries**: reads (GET/HEAD) are retried inside the call on transient failures (5xx, 408,
  425, 429, timeouts, dropped connections, truncated or malformed bodies) up to
  ``SYNC_HTTP_ATTEMPTS`` times with jittered exponential backoff, honouring ``Retry-After`` up to
  ``SYNC_HTTP_RETRY_AFTER_CAP`` seconds; a longer Retry-After ends the call at once and the poller
  schedules the next poll after it. Writes are sent once: the outbox retries them with its own
  idempotency rules.

Every failure becomes a ConnectorError: 4xx (but 408/425/429) are permanent, and so is a body
over the size cap; the rest are transient. No database access here.
"""

from __future__ import annotations

import contextvars
import email.utils
import hashlib
import json
import random
import time
import zlib
from collections.abc import Container, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
from django.conf import settings

from inbox.sync.transport import ConnectorError, SourceConfig
from ops import upstream_log

USER_AGENT = "human-task-inbox/0.1 (+https://github.com/)"
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}
RETRIED_METHODS = {"GET", "HEAD"}
# A run of 19 digits (a number orjson may not read exactly): every digit is mapped to "0" and
# the run searched as a substring, an order of magnitude faster than re's ``\d{19}`` on
# megabyte pages full of short digit runs.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
_poll_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sync_poll_deadline", default=None
)


class PollBudgetExceeded(ConnectorError):
    """The poll's wall-clock budget ran out while a request was waiting or being read."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False)


@contextmanager
def poll_budget(seconds: float) -> Iterator[float]:
    """Bound every call made inside the block by one deadline ``seconds`` from now."""
    deadline = time.monotonic() + seconds
    token = _poll_deadline.set(deadline)
    try:
        yield deadline
    finally:
        _poll_deadline.reset(token)


def make_client(config: SourceConfig, **headers: str) -> httpx.Client:
    timeout = float(getattr(settings, "SYNC_HTTP_TIMEOUT", 10))
    return httpx.Client(
        base_url=config.base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        transport=httpx.HTTPTransport(retries=2),  # connect errors only: nothing was sent
        headers={
            "User-Agent": USER_AGENT,
            # Decoded here (bounded), so only what _Body can decode is asked for.
            "Accept-Encoding": "gzip, deflate",
            **headers,
        },
        follow_redirects=False,
        event_hooks=upstream_log.event_hooks(config.name),
    )


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class _Body:
    """Reads a streamed response into bytes within a deadline and a size cap."""

    def __init__(self, label: str, deadline: float, limit: int, poll_bound: bool):
        self.label, self.deadline, self.limit, self.poll_bound = label, deadline, limit, poll_bound

    def _too_big(self) -> ConnectorError:
        return ConnectorError(
            f"{self.label}: response body larger than the {self.limit // (1024 * 1024) or 1} MB "
            f"cap (SYNC_HTTP_MAX_BODY_BYTES)",
            permanent=True,
        )

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _timeout(self.label, self.poll_bound)

    def read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.limit:
            raise self._too_big()
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "gzip":
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decoder = zlib.decompressobj()
        elif encoding in ("", "identity"):
            decoder = None
        else:
            raise ConnectorError(
                f"{self.label}: unsupported Content-Encoding {encoding!r}", permanent=True
            )
        parts: list[bytes] = []
        size = raw_size = 0
        try:
            for chunk in response.iter_raw():
                self._check_time()
                raw_size += len(chunk)
                if raw_size > self.limit:
                    raise self._too_big()
                if decoder is None:
                    parts.append(chunk)
                    size += len(chunk)
                    continue
                data = decoder.decompress(chunk, self.limit - size + 1)
                while True:
                    parts.append(data)
                    size += len(data)
                    if size > self.limit:
                        raise self._too_big()
                    if not decoder.unconsumed_tail:
                        break
                    self._check_time()
                    data = decoder.decompress(decoder.unconsumed_tail, self.limit - size + 1)
            if decoder is not None:
                tail = decoder.flush()
                size += len(tail)
                if size > self.limit:
                    raise self._too_big()
                parts.append(tail)
        except zlib.error as exc:
            raise ConnectorError(
                f"{self.label}: corrupt {encoding} body ({exc})", permanent=False
            ) from exc
        self._check_time()
        return b"".join(parts)


def _timeout(label: str, poll_bound: bool) -> ConnectorError:
    if poll_bound:
        return PollBudgetExceeded(f"{label}: the poll's time budget ran out during the request")
    total = getattr(settings, "SYNC_HTTP_TIMEOUT", 10)
    return ConnectorError(
        f"{label}: timed out (no complete response within {total} s in total)", permanent=False
    )


def _decode_json(label: str, body: bytes) -> Any:
    """JSON as the engine sent it. Invalid UTF-8 is kept as lone surrogates (not replaced) so
    the importer can quarantine the one record holding it instead of failing the page;
    Infinity/NaN and overflowing numbers stay floats for the same reason. Plain JSON in valid
    UTF-8 (nearly every body) is read by orjson; the rest by ``json`` as described."""
    if _LONG_RUN not in body.translate(_DIGITS_AS_ZERO):  # orjson reads big integers as floats
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    text = body.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConnectorError(
            f"{label}: malformed JSON from the engine ({exc})"[:500], permanent=False
        ) from exc


def body_digest(body: bytes) -> str:
    """A SHA-256 (first 32 hex digits) of a response body as received, before any parsing:
    OpenSSL's SHA-256 runs at twice BLAKE2b's speed here, and page bodies are megabytes."""
    return hashlib.sha256(body).hexdigest()[:32]


def _once(
    client: httpx.Client,
    method: str,
    url: str,
    expect_json: bool,
    kwargs: dict,
    known: Container[str] | None = None,
) -> Any:
    label = f"{method} {url}"
    timeout = float(getattr(settings, "SYNC_HTTP_TIMEOUT", 10))
    limit = int(getattr(settings, "SYNC_HTTP_MAX_BODY_BYTES", 20 * 1024 * 1024))
    now = time.monotonic()
    deadline, poll_bound = now + timeout, False
    poll_end = _poll_deadline.get()
    if poll_end is not None and poll_end < deadline:
        deadline, poll_bound = poll_end, True
    remaining = deadline - now
    if remaining <= 0:
        raise _timeout(label, poll_bound)
    request = client.build_request(
        method,
        url,
        timeout=httpx.Timeout(remaining, connect=min(remaining, 5.0)),
        **kwargs,
    )
    try:
        response = client.send(request, stream=True)
        try:
            body = _Body(label, deadline, limit, poll_bound).read(response)
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        raise _timeout(label, poll_bound) from exc
    except httpx.HTTPError as exc:
        raise ConnectorError(f"{label}: {exc.__class__.__name__} {exc}", permanent=False) from exc
    status = response.status_code
    if status >= 400:
        text = body[:300].decode("utf-8", errors="replace").strip()
        raise ConnectorError(
            f"{method} {request.url.path} -> HTTP {status}: {text}",
            permanent=status not in TRANSIENT_STATUSES and status < 500,
            status=status,
            retry_after=_retry_after(response) if status in (429, 503) else None,
        )
    if known is not None:
        digest = body_digest(body)
        if digest in known:
            return digest, None
        return digest, _decode_json(label, body) if body else None
    if not expect_json or status == 204 or not body:
        return None
    return _decode_json(label, body)


def _pause(attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before the next attempt, or None when the engine asks for longer than
    the cap (the poll ends and the next one is scheduled after Retry-After)."""
    if retry_after is not None:
        cap = float(getattr(settings, "SYNC_HTTP_RETRY_AFTER_CAP", 30))
        return retry_after if retry_after <= cap else None
    base = getattr(settings, "SYNC_HTTP_RETRY_BASE_MS", 250) / 1000
    return random.uniform(0, base * 2 ** (attempt - 1))  # full jitter


def call(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    expect_json: bool = True,
    known: Container[str] | None = None,
    **kwargs: Any,
) -> Any:
    """Send a request; return the decoded JSON (or None for an empty body).

    With ``known`` (digests of bodies already handled, ``body_digest``): return
    ``(digest, decoded JSON)``, or ``(digest, None)`` without parsing the body when its digest
    is among ``known`` (a page the caller has seen byte for byte).

    Reads are retried inside the call on transient failures (see the module docstring);
    writes are sent once.
    """
    method = method.upper()
    attempts = getattr(settings, "SYNC_HTTP_ATTEMPTS", 6) if method in RETRIED_METHODS else 1
    for attempt in range(1, attempts + 1):
        try:
            return _once(client, method, url, expect_json, kwargs, known)
        except PollBudgetExceeded:
            raise
        except ConnectorError as exc:
            if exc.permanent or attempt == attempts:
                raise
            delay = _pause(attempt, exc.retry_after)
            poll_end = _poll_deadline.get()
            if delay is None or (poll_end is not None and time.monotonic() + delay >= poll_end):
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
