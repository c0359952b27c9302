"""The bridge routes' base view: tenant check (unknown: 401), the inbox's authentication and
throttling, error bodies a bridge client reads, and the parameter parsing the routes share."""

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions

from accounts.models import User
from inbox import parsing
from inbox.api.errors import exception_handler
from inbox.api.parsers import StrictJSONParser
from inbox.api.selectors import task_detail_get
from inbox.api.views.common import ApiView, IsInboxAdmin
from inbox.errors import InboxError, NotFound, ValidationError
from inbox.models import TaskStatus, UserTask
from inbox.queries import can_see_task, parse_when

# The bridge answers errors as JSON (Spring Boot's error body, which carries ``message``), and the
# v0.13 client only reads ``message`` from a content type containing "application/json".
ERROR_CONTENT_TYPE = "application/json"
NO_MATCH = "\x01unknown"  # a group or user name no row has: unknown ids filter to nothing
TAG = "littlehorse"


class BridgeError(InboxError):
    """An answer the bridge gives with its own status (``status``) and message."""

    code = "bridge"

    def __init__(self, status: int, message: str, *, code: str = ""):
        super().__init__(message)
        self.status = HTTPStatus(status)
        if code:
            self.code = code


class Unauthorized(BridgeError):
    """The bridge's 401 for a task the caller may not access (CustomUnauthorizedException)."""

    def __init__(
        self, message="Current user is forbidden from accessing this UserTask information"
    ):
        super().__init__(401, message, code="unauthorized")


def problem_exception_handler(exc, context):
    """The API's error as ``{type, title, status, detail, instance, message, error, path, code,
    fields?}``: RFC 9457 members plus the ``message``/``error``/``path`` that Spring Boot's error
    body has and bridge clients read. A view's ``status_overrides`` maps an error code to the
    status the bridge answers."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = response.data or {}
    code = body.get("code", "error")
    view = context.get("view")
    status = getattr(view, "status_overrides", {}).get(code, response.status_code)
    message = body.get("message", "")
    path = context["request"].path if context.get("request") else ""
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "instance": path,
        "message": message,
        "error": HTTPStatus(status).phrase,
        "path": path,
        "code": code,
    }
    if body.get("fields"):
        problem["fields"] = body["fields"]
    response.status_code = status
    response.data = problem
    response.content_type = ERROR_CONTENT_TYPE
    return response


class BridgeView(ApiView):
    """Every bridge route: signed-in callers of a configured tenant."""

    status_overrides: dict[str, int] = {}
    parser_classes = [StrictJSONParser]  # nesting, finiteness, NUL: inbox.parsing

    def initial(self, request, *args, **kwargs):
        if kwargs.get("tenant_id") not in settings.LITTLEHORSE_TENANTS:
            raise exceptions.AuthenticationFailed("Unknown tenant.")
        for name, value in kwargs.items():
            if "\x00" in str(value):
                raise ValidationError(
                    "NUL characters are not allowed.", fields={name: ["Contains a NUL character."]}
                )
        try:
            super().initial(request, *args, **kwargs)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            raise ValidationError(f"The request body is larger than {limit} bytes.") from None

    def get_exception_handler(self):
        return problem_exception_handler


@extend_schema(exclude=True)
class BridgeNotFoundView(BridgeView):
    """Any other path under a tenant: a 404 problem (after the tenant and auth checks)."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such endpoint.")

    get = post = put = patch = delete = http_method_not_allowed


class AdminBridgeView(BridgeView):
    permission_classes = [*BridgeView.permission_classes, IsInboxAdmin]


def is_number(raw: str) -> bool:
    """ASCII digits only (``str.isdigit`` takes "²" and "١", which ``int`` refuses or reads)."""
    return parsing.is_ascii_int(raw) and len(raw) <= 18


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
    if not is_number(raw) or not minimum <= int(raw) <= maximum:
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
    if is_number(ref):
        group = Group.objects.filter(pk=int(ref)).first()
        if group:
            return group
    return Group.objects.filter(name=ref).first()


def find_user(ref: str) -> User | None:
    """A user by the id the bridge gave out (its pk) or by username."""
    if is_number(ref):
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


def find_task(*, wf_run_id: str, guid: str) -> UserTask:
    """The task with this guid and run id, with comments and events, whoever asks; 404 when
    there is none (the bridge's "Could not find UserTaskRun!")."""
    try:
        task = task_detail_get(user=None, task_id=guid)
    except NotFound:
        raise NotFound("Could not find UserTaskRun!") from None
    if task.wf_run_id != wf_run_id:
        raise NotFound("Could not find UserTaskRun!")
    return task


def may_access(user: User, task: UserTask) -> bool:
    """The bridge's rule for a user route (``validateIfUserIsAllowedToSeeUserTask``), with the
    inbox's groups: the caller's own task, or an unassigned task of one of the caller's groups
    (the bridge lets anyone at an unassigned group task; unrouted ones only admins here)."""
    if task.assignee_id is not None:
        return task.assignee_id == user.pk
    if task.group_id is not None:
        return task.group_id in user.group_ids()
    return user.is_inbox_admin


def user_task(*, user: User, wf_run_id: str, guid: str) -> UserTask:
    """The task for a user route: 404 when absent, 401 when another user's (as the bridge)."""
    task = find_task(wf_run_id=wf_run_id, guid=guid)
    if not may_access(user, task):
        raise Unauthorized()
    return task


def seen_task(*, user: User, wf_run_id: str, guid: str) -> UserTask:
    """The task for the comment routes: any task the caller sees in the inbox (the bridge does
    not check at all); 404 when absent, 401 when the caller may not see it."""
    task = find_task(wf_run_id=wf_run_id, guid=guid)
    if not can_see_task(user, task):
        raise Unauthorized()
    return task


def is_terminal(task: UserTask) -> bool:
    return task.status in (TaskStatus.DONE, TaskStatus.CANCELLED)


def check_not_terminal(task: UserTask, verb: str) -> None:
    """The bridge's 403 on a DONE/CANCELLED task (its client turns it into TaskStateError)."""
    if is_terminal(task):
        raise BridgeError(
            403,
            f"The UserTask you are trying to {verb} is already DONE or CANCELLED",
            code="task_state",
        )
