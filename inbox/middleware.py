"""Hostile-input guards that sit in front of every view (DESIGN §5: bad input is a 400 naming
what was wrong, never a 500).

``InputGuardMiddleware``:
- refuses query strings and form bodies holding invalid UTF-8, NUL characters or lone
  surrogates (``inbox.parsing.text_problem``) with 400: the API's JSON error shape under
  ``settings.API_PATH_PREFIXES``, the ``400.html`` page elsewhere (naming each bad field), an
  error toast with the page left as it is for htmx requests;
- answers bodies larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` before any view reads them: a JSON
  413 ``too_large`` under the API prefixes, the 400 page elsewhere (Django would raise
  ``RequestDataTooBig`` and render its HTML 400);
- turns every other HTML error page under the API prefixes (a path no route matches, e.g. one
  holding a newline; Django's own 400/403/500 pages) into the JSON shape with the same status.

No database access; nothing here changes state.
"""

import json
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from inbox.parsing import text_problem

_CODES = {
    400: "validation",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "server_error",
}
_MESSAGES = {
    400: "The request could not be read.",
    403: "Forbidden.",
    404: "No such endpoint.",
    413: "The request body is too large.",
    500: "Something went wrong on our side; it has been logged.",
}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


BRIDGE_PREFIX = "/littlehorse/"


def is_api_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.API_PATH_PREFIXES)


def api_error(
    status: int, message: str | None = None, fields: dict | None = None, *, path: str = ""
) -> JsonResponse:
    """The API's error body ``{code, message, fields?}``; under the LittleHorse-bridge routes
    also the RFC 9457 members the bridge's clients read (as ``littlehorse.base`` answers)."""
    message = message or _MESSAGES.get(status, "")
    body = {"code": _CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    if path.startswith(BRIDGE_PREFIX):
        phrase = HTTPStatus(status).phrase
        body |= {"type": "about:blank", "title": phrase, "status": status, "detail": message}
        body |= {"instance": path, "error": phrase, "path": path}
    return JsonResponse(body, status=status)


def _query_problems(raw_query: str) -> dict[str, list[str]]:
    """Problems in a raw (still percent-encoded) query string or form body, by parameter."""
    problems: dict[str, list[str]] = {}
    for part in raw_query.split("&"):
        if not part:
            continue
        name_raw, _, value_raw = part.partition("=")
        name_bytes = unquote_to_bytes(name_raw.replace("+", " "))
        value_bytes = unquote_to_bytes(value_raw.replace("+", " "))
        name = name_bytes.decode("utf-8", "backslashreplace")
        try:
            name_bytes.decode("utf-8")
            value = value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            problems[_label(name)] = ["Not valid UTF-8."]
            continue
        problem = text_problem(name) or text_problem(value)
        if problem:
            problems[_label(name)] = [problem]
    return problems


def _label(name: str) -> str:
    return name.replace("\x00", "\\x00")[:100] or "(unnamed)"


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api_path(request.path)
        if api and self._too_large(request):
            return api_error(
                413,
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                path=request.path,
            )
        if not api and self._too_large(request):
            size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return self._refuse(request, False, {"form": [f"Larger than {size} bytes."]})
        problems = _query_problems(request.META.get("QUERY_STRING", ""))
        if not problems and request.content_type in _FORM_TYPES and not api:
            problems = self._form_problems(request)
        if problems:
            return self._refuse(request, api, problems)
        response = self.get_response(request)
        if api and response.status_code >= 400 and self._is_html(response):
            return api_error(response.status_code, path=request.path)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig) and is_api_path(request.path):
            return api_error(413, path=request.path)
        return None

    @staticmethod
    def _too_large(request) -> bool:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return limit is not None and length > limit

    @staticmethod
    def _form_problems(request) -> dict[str, list[str]]:
        if request.content_type == "application/x-www-form-urlencoded":
            try:
                body = request.body
            except RequestDataTooBig:
                return {}  # Django answers its own 400 when the view reads the form
            return _query_problems(body.decode("latin-1"))
        problems = {}
        try:
            for key, values in request.POST.lists():
                for value in values:
                    problem = text_problem(key) or text_problem(value)
                    if problem:
                        problems[_label(key)] = [problem]
        except RequestDataTooBig:
            return {}
        return problems

    @staticmethod
    def _is_html(response) -> bool:
        return response.get("Content-Type", "").startswith("text/html")

    @staticmethod
    def _refuse(request, api: bool, problems: dict[str, list[str]]) -> HttpResponse:
        names = ", ".join(problems)
        message = f"Invalid input in {names}."
        if api:
            return api_error(400, message, problems, path=request.path)
        if request.headers.get("HX-Request") == "true":
            # htmx swaps only 2xx answers: keep the page as it is and say what was wrong.
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items())
            response = HttpResponse("", status=200)
            response["HX-Reswap"] = "none"
            response["HX-Trigger"] = json.dumps(
                {"toast": [{"level": "error", "message": f"Not sent. {details}"}]}
            )
            return response
        html = render_to_string(
            "400.html",
            {"problems": [(k, " ".join(v)) for k, v in problems.items()]},
            request=request,
        )
        return HttpResponse(html, status=400)


def drop_unreadable_cookies(get_response):
    """Forget cookies no server could have set: a value holding NUL or a lone surrogate (a
    forged session id would otherwise reach the session table, which cannot hold NUL). Runs
    before the session and CSRF middleware, which then see no such cookie: an anonymous request
    rather than a 500."""

    def middleware(request):
        bad = [name for name, value in request.COOKIES.items() if text_problem(f"{name}{value}")]
        for name in bad:
            del request.COOKIES[name]
        return get_response(request)

    return middleware
