"""The one httpx client factory for upstream calls, and error translation.

Timeouts on every call; connection errors retried a few times by the transport; every
failure becomes a ConnectorError: 4xx (but 408/429) are permanent, 5xx, 429 (honouring
Retry-After), timeouts, dropped connections and malformed bodies are transient.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
from django.conf import settings

from inbox.sync.base import ConnectorError, SourceConfig
from ops import upstream_log

USER_AGENT = "human-task-inbox/0.1 (+https://github.com/)"
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def make_client(config: SourceConfig, **headers: str) -> httpx.Client:
    timeout = getattr(settings, "SYNC_HTTP_TIMEOUT", 10.0)
    return httpx.Client(
        base_url=config.base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        transport=httpx.HTTPTransport(retries=2),
        headers={"User-Agent": USER_AGENT, **headers},
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
        parsed = email.utils.parsedate_to_datetime(raw)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _describe(response: httpx.Response) -> str:
    text = response.text[:300].strip()
    return f"{response.request.method} {response.request.url.path} -> HTTP {response.status_code}: {text}"


def call(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    expect_json: bool = True,
    **kwargs: Any,
) -> Any:
    """Send a request; return the decoded JSON (or None for an empty body)."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ConnectorError(f"{method} {url}: timed out ({exc})", permanent=False) from exc
    except httpx.TransportError as exc:
        raise ConnectorError(
            f"{method} {url}: {exc.__class__.__name__} {exc}", permanent=False
        ) from exc
    status = response.status_code
    if status >= 400:
        raise ConnectorError(
            _describe(response),
            permanent=status not in TRANSIENT_STATUSES and status < 500,
            status=status,
            retry_after=_retry_after(response) if status in (429, 503) else None,
        )
    if not expect_json or status == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ConnectorError(
            f"{method} {url}: malformed JSON from the engine ({exc})", permanent=False
        ) from exc
