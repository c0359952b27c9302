"""One log line per upstream HTTP call (logger ``inbox.sync.upstream``): source, method, path,
status and duration. httpx event hooks, attached by ``inbox.sync.http.make_client``.

Only the path is logged: never the query string, headers or bodies (they carry tokens).
"""

import logging
import time

import httpx

log = logging.getLogger("inbox.sync.upstream")


def event_hooks(source_name: str) -> dict:
    def on_request(request: httpx.Request) -> None:
        request.extensions["ops_started"] = time.perf_counter()

    def on_response(response: httpx.Response) -> None:
        started = response.request.extensions.get("ops_started")
        duration = (time.perf_counter() - started) * 1000 if started else None
        log.info(
            "%s %s %s -> %s",
            source_name,
            response.request.method,
            response.request.url.path,
            response.status_code,
            extra={
                "source": source_name,
                "method": response.request.method,
                "upstream_path": response.request.url.path,
                "status": response.status_code,
                "duration_ms": round(duration, 1) if duration is not None else None,
            },
        )

    return {"request": [on_request], "response": [on_response]}
