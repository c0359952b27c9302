"""The bridge routes' base view: tenant check (unknown: 401), the inbox's authentication and
throttling, RFC 9457 problem bodies, and the parameter parsing the routes share."""

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import Group
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions

from accounts.models import User
from inbox.api.errors import exception_handler
from inbox.api.selectors import task_detail_get
from inbox.api.views.common import ApiView, IsInboxAdmin
from inbox.errors import NotFound, ValidationError
from inbox.models import UserTask
from inbox.queries import parse_when

PROBLEM_CONTENT_TYPE = "application/problem+json"
NO_MATCH = "\x01unknown"  # a group or user name no row has: unknown ids filter to nothing


def problem_exception_handler(exc, context):
    """The API's error, reshaped as ``{type, title, status, detail, instance, code}``; a view's
    ``status_overrides`` maps an error code to the status the bridge documents."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = response.data or {}
    code = body.get("code", "error")
    view = context.get("view")
    status = getattr(view, "status_overrides", {}).get(code, response.status_code)
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": body.get("message", ""),
        "instance": context["request"].path if context.get("request") else "",
        "code": code,
    }
    if body.get("fields"):
        problem["fields"] = body["fields"]
    response.status_code = status
    response.data = problem
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


@extend_schema(exclude=True)
class BridgeView(ApiView):
    """Every bridge route: signed-in callers of a configured tenant."""

    status_overrides: dict[str, int] = {}

    def initial(self, request, *args, **kwargs):
        if kwargs.get("tenant_id") not in settings.LITTLEHORSE_TENANTS:
            raise exceptions.AuthenticationFailed("Unknown tenant.")
        super().initial(request, *args, **kwargs)

    def get_exception_handler(self):
        return problem_exception_handler


class BridgeNotFoundView(BridgeView):
    """Any other path under a tenant: a 404 problem (after the tenant and auth checks)."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such endpoint.")

    get = post = put = patch = delete = http_method_not_allowed


class AdminBridgeView(BridgeView):
    permission_classes = [*BridgeView.permission_classes, IsInboxAdmin]


def int_param(params, name: str, *, required: bool = False, default: int | None = None) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError(
                f"{name} is required", fields={name: ["This parameter is required."]}
            )
        return default
    maximum = settings.INBOX_MAX_PAGE_SIZE if name in ("limit", "max_results") else 2**31 - 1
    minimum = 0 if name == "first_result" else 1
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ValidationError(
            f"Invalid {name}",
            fields={name: [f"Must be a whole number from {minimum} to {maximum}."]},
        )
    return int(raw)


def required_param(params, name: str) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        raise ValidationError(f"{name} is required", fields={name: ["This parameter is required."]})
    return value


def find_group(ref: str) -> Group | None:
    """A group by the id the bridge gave out (its pk) or by name."""
    if ref.isdigit():
        group = Group.objects.filter(pk=int(ref)).first()
        if group:
            return group
    return Group.objects.filter(name=ref).first()


def find_user(ref: str) -> User | None:
    """A user by the id the bridge gave out (its pk) or by username."""
    if ref.isdigit():
        user = User.objects.filter(pk=int(ref)).first()
        if user:
            return user
    return User.objects.filter(username=ref).first()


def filter_params(params, *, allow_user: bool) -> dict:
    """The bridge's list parameters as ``TaskFilters.from_params`` input (names, not ids)."""
    out: dict[str, str] = {}
    status = (params.get("status") or "").strip()
    if status:
        out["status"] = status
    task_type = (params.get("type") or "").strip()
    if task_type:
        out["type"] = task_type
    group_ref = (params.get("user_group_id") or "").strip()
    if group_ref:
        group = find_group(group_ref)
        out["group"] = group.name if group else NO_MATCH
    user_ref = (params.get("user_id") or "").strip()
    if user_ref and allow_user:
        user = find_user(user_ref)
        out["user"] = user.username if user else NO_MATCH
    for lh_name, name in (
        ("earliest_start_date", "created_after"),
        ("latest_start_date", "created_before"),
    ):
        raw = (params.get(lh_name) or "").strip()
        if raw:
            if parse_when_safe(raw) is None:
                raise ValidationError(
                    f"Invalid {lh_name}", fields={lh_name: ["Must be an ISO 8601 date-time."]}
                )
            out[name] = raw
    return out


def parse_when_safe(raw: str):
    try:
        return parse_when(raw)
    except ValueError:
        return None


def bridge_task(*, user: User, wf_run_id: str, guid: str) -> UserTask:
    """The task the caller may see with this guid and run id, with comments and events."""
    task = task_detail_get(user=user, task_id=guid)
    if task.wf_run_id != wf_run_id:
        raise NotFound("No such task")
    return task
