"""Log context and format: a request id and user id on every line, one line per request.

``LOG_FORMAT=json`` (config/settings.py) renders every record as one JSON object with
python-json-logger; ``text`` (the default) keeps plain lines. What is logged for a request:
method, path (never the query string, which may carry tokens), view, status, duration, request
id, user id. Headers, bodies and credentials are never logged.
"""

import contextvars
import logging
import re
import time
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

log = logging.getLogger("inbox.request")
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ContextFilter(logging.Filter):
    """Stamp the current request id (or Celery task id) and user id on every record."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get()
        return True


def json_formatter():
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


class RequestLogMiddleware:
    """One log line per request, and the ``X-Request-ID`` header (a sane incoming one is kept)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        rid_token = request_id_var.set(request_id)
        uid_token = user_id_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            user_id_var.set(user_id)
            match = getattr(request, "resolver_match", None)
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": match.view_name if match else "",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user_id,
                },
            )
            response["X-Request-ID"] = request_id
            return response
        finally:
            request_id_var.reset(rid_token)
            user_id_var.reset(uid_token)
