"""One error shape for the whole API: ``{"code", "message", "fields"?}`` (DESIGN §5).

``exception_handler`` renders the inbox's own errors (``inbox.errors.InboxError``) and DRF's
(authentication, permission, parsing, throttling, method) the same way, keeping DRF's headers
(``WWW-Authenticate``, ``Retry-After``, ``Allow``). ``error_responses`` describes them in the
OpenAPI schema with an example per status.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from inbox.errors import InboxError

# DRF exception class -> our code. ValidationError/ParseError are both "validation" (400).
_DRF_CODES = (
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.AuthenticationFailed, "unauthenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ValidationError, "validation"),
    (exceptions.ParseError, "validation"),
)


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"a.b": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, name))
    elif isinstance(detail, list) and any(isinstance(v, dict | list) for v in detail):
        for index, value in enumerate(detail):
            if value:
                out.update(flatten_errors(value, f"{prefix}[{index}]"))
    elif isinstance(detail, list):
        out[prefix or "non_field_errors"] = [str(v) for v in detail]
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    if isinstance(exc, InboxError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling takes over
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError) or (
        isinstance(exc, exceptions.ParseError) and isinstance(exc.detail, dict)
    ):
        fields = flatten_errors(exc.detail)
        non_field = fields.pop("non_field_errors", None)
        message = non_field[0] if non_field else "Some values are invalid."
        response.data = error_body(code, message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(code, str(detail))
    return response


# --- schema -------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "unauthenticated",
            "not_found",
            "forbidden",
            "task_state",
            "assignment",
            "unsupported",
            "precondition_failed",
            "validation",
            "method_not_allowed",
            "not_acceptable",
            "unsupported_media_type",
            "throttled",
            "too_large",
        ],
        help_text="Stable machine-readable error code.",
    )
    message = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field (or per-parameter) messages, for `validation` and some `assignment` "
        "errors.",
    )

    class Meta:
        ref_name = "Error"


_EXAMPLES = {
    400: [
        ("validation", "Some values are invalid", {"approved": ["This field is required."]}),
    ],
    401: [("unauthenticated", "Authentication credentials were not provided.", None)],
    403: [("forbidden", "Only inbox admins may do this.", None)],
    404: [("not_found", "No such task", None)],
    409: [
        ("assignment", "Already claimed by bob.", None),
        ("task_state", "The task is DONE and can no longer change.", None),
        (
            "unsupported",
            "UiPath cannot cancel one action task; an admin can close the case.",
            None,
        ),
    ],
    412: [
        (
            "precondition_failed",
            "The task changed meanwhile: it is at version 4, not 3. Reload it and try again.",
            None,
        )
    ],
    429: [("throttled", "Request was throttled. Expected available in 12 seconds.", None)],
}
_DESCRIPTIONS = {
    400: "Invalid parameters or body (`validation`), with per-field messages.",
    401: "Missing, malformed, invalid or revoked credentials (`unauthenticated`).",
    403: "The caller may not do this (`forbidden`).",
    404: "No such object, or the caller may not see it (`not_found`).",
    409: "The task is in the wrong state (`task_state`), cannot be assigned (`assignment`), or "
    "its engine cannot do this action (`unsupported`: nothing changed; the message says what to "
    "do instead).",
    412: "`If-Match` names a stale version (`precondition_failed`).",
    429: "Too many requests (`throttled`); see `Retry-After`.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for these error statuses, plus 401 and 429 that every call can get."""
    wanted = sorted({*statuses, 401, 429})
    return {
        status: OpenApiResponse(
            response=ErrorSerializer,
            description=_DESCRIPTIONS[status],
            examples=[
                OpenApiExample(
                    f"{status} {code}",
                    value=error_body(code, message, fields),
                    response_only=True,
                    status_codes=[str(status)],
                )
                for code, message, fields in _EXAMPLES[status]
            ],
        )
        for status in wanted
    }
