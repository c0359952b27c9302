"""What every API view shares: the base view, page-size and ``If-Match`` parsing, the ETag, the
admin permission, and the OpenAPI parameters they reuse."""

import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from inbox import parsing
from inbox.api.auth import check_token_scope
from inbox.errors import Forbidden, ValidationError
from inbox.models import UserTask

_VERSION_RE = re.compile(r'^\s*(?:W/)?"?([0-9]{1,9})"?\s*$')  # ASCII digits only


class ApiView(APIView):
    """Base of every API view: authenticated (session or Bearer token), throttled, and refusing
    text PostgreSQL cannot store (NUL, lone surrogates), non-finite numbers and deep nesting
    with a 400 instead of a crash (``inbox.parsing``; the JSON parser checks bodies too)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_token_scope(request, self)
        for key in request.query_params:
            for value in [key, *request.query_params.getlist(key)]:
                problem = parsing.text_problem(value)
                if problem:
                    raise ValidationError(f"Invalid {key!r}", fields={key: [problem]})
        if request.method in ("POST", "PUT", "PATCH"):
            parsing.check_json(request.data)


class IsInboxAdmin(permissions.BasePermission):
    """Holders of ``inbox.administer_tasks`` (and superusers); others get 403 ``forbidden``."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF turns this into 401
        if not user.is_inbox_admin:
            raise Forbidden("Only inbox admins may do this.")
        return True


class AdminApiView(ApiView):
    permission_classes = [permissions.IsAuthenticated, IsInboxAdmin]


def parse_limit(params) -> int:
    raw = params.get("limit")
    maximum = settings.INBOX_MAX_PAGE_SIZE
    if raw in (None, ""):
        return min(settings.INBOX_PAGE_SIZE, maximum)
    return parsing.parse_int(raw, field="limit", minimum=1, maximum=maximum)


def parse_bookmark(params) -> str | None:
    """The ``bookmark`` parameter (opaque; ``inbox.queries.decode_key`` validates it)."""
    return (params.get("bookmark") or "").strip() or None


def expected_version(request) -> int | None:
    """The version named by ``If-Match`` (``"3"``, ``3`` or ``W/"3"``; ``*`` means any)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() in ("", "*"):
        return None
    match = _VERSION_RE.match(raw)
    if not match:
        raise ValidationError(
            "Invalid If-Match header",
            fields={"If-Match": ['Give the task\'s ETag, e.g. "3".']},
        )
    return int(match.group(1))


def etag(task: UserTask) -> str:
    return f'"{task.version}"'


def task_response(data, task: UserTask, status: int = 200) -> Response:
    return Response(data, status=status, headers={"ETag": etag(task)})


# --- OpenAPI parameters ---------------------------------------------------------------------------

LIMIT = OpenApiParameter(
    "limit",
    OpenApiTypes.INT,
    description="Page size, 1 to 500 (default 50).",
)
BOOKMARK = OpenApiParameter(
    "bookmark",
    OpenApiTypes.STR,
    description="The `bookmark` of the previous page; omit for the first page.",
)
ORDER = OpenApiParameter(
    "order",
    OpenApiTypes.STR,
    enum=["oldest", "newest"],
    description="`oldest` first or `newest` first: by creation time (default `oldest`), or for "
    "`scope=history` by completion time (default `newest`).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description='The task\'s ETag (its version, e.g. `"3"`, quotes optional): the write is '
    "refused with 412 when the task has changed since.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=True,
    description='The task\'s version, quoted (e.g. `"3"`): send it back as `If-Match`.',
)
TASK_ID = OpenApiParameter(
    "task_id", OpenApiTypes.UUID, location=OpenApiParameter.PATH, description="The task's id."
)


def task_filter_parameters(*, admin: bool = False) -> list[OpenApiParameter]:
    params = [
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            description="UNASSIGNED, ASSIGNED, DONE or CANCELLED; comma-separated or repeated.",
        ),
        OpenApiParameter("type", OpenApiTypes.STR, description="Task type (user-task-def name)."),
        OpenApiParameter("group", OpenApiTypes.STR, description="Group name."),
        OpenApiParameter("case", OpenApiTypes.INT, description="Case id."),
        OpenApiParameter("source", OpenApiTypes.STR, description="Source name, e.g. `local`."),
        OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="ISO 8601."),
        OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="ISO 8601."),
        OpenApiParameter("due_after", OpenApiTypes.DATETIME, description="ISO 8601."),
        OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="ISO 8601."),
        OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title."),
        OpenApiParameter(
            "sla",
            OpenApiTypes.STR,
            enum=["breached", "at_risk"],
            description="Open tasks past their due date, or due within the at-risk window.",
        ),
    ]
    if admin:
        params.append(OpenApiParameter("user", OpenApiTypes.STR, description="Assignee username."))
        params.append(
            OpenApiParameter(
                "unrouted", OpenApiTypes.BOOL, description="Only tasks in no group (true/false)."
            )
        )
    return [*params, SORT, VIEW, ORDER, LIMIT, BOOKMARK]


SORT = OpenApiParameter(
    "sort",
    OpenApiTypes.STR,
    description="created, due, follow_up (the SLA's claim-by date), priority, updated, completed "
    "or `context__<name>`; a leading `-` "
    "sorts descending (e.g. `-priority`). Keyset-paged: the bookmark belongs to its sort. "
    "Overrides `order`.",
)
VIEW = OpenApiParameter(
    "view",
    OpenApiTypes.INT,
    description="A saved view's id: its filters and sort apply (parameters given here override).",
)


CONTEXT_FILTER_NOTE = (
    "\n\nFilter on the engine's context variables with `context__<key>=<value>` (any number); "
    "the value matches text, numbers and booleans, e.g. `context__region=EU`, "
    "`context__ticket=1003`."
)
