"""Staff task endpoints: lists, detail, claim/release/complete/cancel, and creating local tasks.

Every write goes through ``inbox.lifecycle``; its errors become the API's error bodies.
"""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import ApiToken
from inbox import lifecycle
from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    TaskDetailSerializer,
    TaskSerializer,
    TaskStateSerializer,
    page_serializer,
)
from inbox.api.task_rows import task_rows, task_state
from inbox.api.views.common import (
    BOOKMARK,
    CONTEXT_FILTER_NOTE,
    ETAG,
    IF_MATCH,
    LIMIT,
    TASK_ID,
    ApiView,
    expected_version,
    parse_bookmark,
    parse_limit,
    task_filter_parameters,
    task_response,
)
from inbox.errors import Forbidden, ValidationError
from inbox.queries import LIST_ROW_FIELDS, task_page
from inbox.queries.search import marked_html
from inbox.queries.views import list_request
from notifications.callbacks import callback_register, check_callback

TaskPageSerializer = page_serializer("TaskPage", TaskSerializer)
TAGS = ["tasks"]

RESULTS_EXAMPLE = {"approved": True, "amount": 120.5, "note": "Receipts attached"}


def detail_response(task_id, *, status: int = 200, user=None) -> Response:
    task = selectors.task_detail_get(user=user, task_id=task_id)
    return task_response(TaskDetailSerializer(task).data, task, status=status)


def list_response(user, request, *, scope: str) -> Response:
    wanted = list_request(user, request.query_params, scope=scope, now=timezone.now())
    page = task_page(
        user,
        scope=scope,
        filters=wanted.filters,
        limit=parse_limit(request.query_params),
        bookmark=parse_bookmark(request.query_params),
        sort=wanted.sort,
        row_fields=LIST_ROW_FIELDS,
    )
    results = task_rows(page.tasks)
    for row, task in zip(results, page.tasks, strict=True):
        if wanted.columns:
            context = task.context if isinstance(task.context, dict) else {}
            row["columns"] = {c: context.get(c) for c in wanted.columns}
        if wanted.filters.q and hasattr(task, "title_marked"):
            row["highlight"] = {
                "title": marked_html(task.title_marked),
                "description": marked_html(task.snippet_marked or ""),
            }
    return Response({"results": results, "bookmark": page.bookmark})


class TaskListApi(ApiView):
    """Anyone signed in: the tasks they may see (theirs, their groups'; admins all)."""

    SCOPES = ("visible", "mine", "history")

    @extend_schema(
        operation_id="tasks_list",
        tags=TAGS,
        summary="List visible tasks",
        description="Tasks assigned to the caller and tasks of the caller's groups (admins: all), "
        "oldest first, keyset-paginated. `scope=mine` keeps the caller's ASSIGNED tasks, "
        "`scope=history` their DONE and CANCELLED ones, most recently finished first."
        + CONTEXT_FILTER_NOTE,
        parameters=[
            OpenApiParameter(
                "scope", OpenApiTypes.STR, enum=SCOPES, description="Default `visible`."
            ),
            *task_filter_parameters(),
        ],
        responses={200: TaskPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        scope = request.query_params.get("scope") or "visible"
        if scope not in self.SCOPES:
            raise ValidationError(
                "Invalid scope", fields={"scope": [f"Must be one of {', '.join(self.SCOPES)}."]}
            )
        return list_response(request.user, request, scope=scope)


class TaskCreateApi(ApiView):
    """Inbox admins (and their tokens): create a task on the built-in ``local`` source."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=500)
        type = serializers.CharField(max_length=255, help_text="The task type.")
        group = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, help_text="Group name."
        )
        user = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            help_text="Username; the task starts ASSIGNED to them.",
        )
        fields = serializers.ListField(
            child=serializers.DictField(),
            required=False,
            help_text="Form fields: `{name, display_name?, description?, type, required?}` with "
            "type STRING, INTEGER, DOUBLE or BOOLEAN.",
        )
        context = serializers.DictField(required=False, help_text="Read-only variables.")
        description = serializers.CharField(required=False, allow_blank=True, default="")
        priority = serializers.IntegerField(
            required=False, default=0, min_value=-(2**31), max_value=2**31 - 1
        )
        due_at = serializers.DateTimeField(required=False, allow_null=True)
        callback_url = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=1000,
            help_text="Called once (a signed POST) when the task is completed or cancelled.",
        )
        callback_secret = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Signs the callback (X-Inbox-Signature), as webhooks are signed.",
        )

        class Meta:
            ref_name = "TaskCreateInput"

    @extend_schema(
        operation_id="tasks_create",
        tags=TAGS,
        summary="Create a task (admins)",
        request=InputSerializer,
        parameters=[ETAG],
        responses={
            201: TaskDetailSerializer,
            **error_responses(400, 403, 409),
        },
        examples=[
            OpenApiExample(
                "Expense approval for finance",
                request_only=True,
                value={
                    "title": "Approve travel to Lisbon",
                    "type": "expense-approval",
                    "group": "finance",
                    "fields": [
                        {"name": "approved", "type": "BOOLEAN", "required": True},
                        {"name": "amount", "type": "DOUBLE", "display_name": "Amount (EUR)"},
                    ],
                    "context": {"customer": "Globex", "ticket": 1042},
                    "priority": 1,
                    "due_at": "2026-12-01T12:00:00Z",
                },
            )
        ],
    )
    def post(self, request):
        data = self._validated(request)
        callback = None
        if data.get("callback_url"):
            callback = check_callback(data["callback_url"], data.get("callback_secret", ""))
        with transaction.atomic():
            task = self._create(request, data)
            if callback:
                callback_register(task=task, url=callback[0], secret=callback[1])
        return detail_response(task.id, status=201)

    def _create(self, request, data):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        creator_groups = None
        if token is not None and token.scope == ApiToken.Scope.CREATE:
            creator_groups = {g.name for g in token.groups.all()}
        return lifecycle.task_create(
            actor=request.user,
            creator_groups=creator_groups,
            title=data["title"],
            task_type=data["type"],
            group=data.get("group") or None,
            user=data.get("user") or None,
            fields=data.get("fields"),
            context=data.get("context"),
            description=data.get("description", ""),
            priority=data.get("priority", 0),
            due_at=data.get("due_at"),
        )

    def _validated(self, request) -> dict:
        creator = isinstance(request.auth, ApiToken) and request.auth.scope == ApiToken.Scope.CREATE
        if not creator and not request.user.is_inbox_admin:
            # Refuse before looking at the body: its problems are not a staff member's concern.
            raise Forbidden("Only inbox admins may create tasks.")
        serializer = TaskCreateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TaskCollectionApi(TaskListApi, TaskCreateApi):
    """``tasks/``: GET lists (TaskListApi), POST creates (TaskCreateApi)."""

    allows_creator_tokens = True  # a ``create``-scoped token may POST here (its groups only)


class TaskClaimableApi(ApiView):
    """Anyone signed in: UNASSIGNED tasks in the caller's groups."""

    @extend_schema(
        operation_id="tasks_claimable",
        tags=TAGS,
        summary="List claimable tasks",
        description="UNASSIGNED tasks of the caller's groups, or of one of them with `group`."
        + CONTEXT_FILTER_NOTE,
        parameters=[
            OpenApiParameter("group", OpenApiTypes.STR, description="One of the caller's groups."),
            OpenApiParameter("type", OpenApiTypes.STR, description="Task type."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title."),
            OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="ISO 8601."),
            LIMIT,
            BOOKMARK,
        ],
        responses={200: TaskPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        return list_response(request.user, request, scope="claimable")


class TaskDetailApi(ApiView):
    """Anyone who may see the task (else 404): form, results, context, comments, events."""

    @extend_schema(
        operation_id="tasks_retrieve",
        tags=TAGS,
        summary="Get a task",
        parameters=[TASK_ID, ETAG],
        responses={
            200: OpenApiResponse(TaskDetailSerializer, description="ETag is the version."),
            **error_responses(404),
        },
    )
    def get(self, request, task_id):
        return detail_response(task_id, user=request.user)


def _write_schema(
    operation_id: str,
    summary: str,
    description: str,
    request=None,
    codes=(),
    examples=None,
    answer=TaskDetailSerializer,
):
    return extend_schema(
        examples=examples or [],
        operation_id=operation_id,
        tags=TAGS,
        summary=summary,
        description=description,
        parameters=[TASK_ID, IF_MATCH, ETAG],
        request=request,
        responses={
            200: OpenApiResponse(answer, description="The task after the change."),
            **error_responses(404, 409, 412, *codes),
        },
    )


class TaskClaimApi(ApiView):
    """Members of the task's group (admins: anyone) claim an UNASSIGNED task."""

    @_write_schema(
        "tasks_claim",
        "Claim a task",
        "Assigns an UNASSIGNED task to the caller. Exactly one of several simultaneous claims "
        "wins; the others get 409 `assignment`. Not a member of the task's group: 409 "
        "`assignment`. The answer is the task without its comments, history and write-backs "
        "(GET the task for those).",
        codes=(400,),
        answer=TaskStateSerializer,
    )
    def post(self, request, task_id):
        task = lifecycle.task_claim(
            task_id=task_id, user=request.user, expected_version=expected_version(request)
        )
        return task_response(task_state(task), task)  # TaskStateSerializer's shape, built directly


class TaskReleaseApi(ApiView):
    """The assignee gives the task back to its group."""

    @_write_schema(
        "tasks_release",
        "Release a task",
        "The assignee gives an ASSIGNED task back to its group (UNASSIGNED). Anyone else: 403.",
        codes=(400, 403),
    )
    def post(self, request, task_id):
        lifecycle.task_release(
            task_id=task_id, user=request.user, expected_version=expected_version(request)
        )
        return detail_response(task_id)


class TaskCompleteApi(ApiView):
    """The assignee completes the task with results valid against its fields."""

    class InputSerializer(serializers.Serializer):
        results = serializers.DictField(
            child=serializers.JSONField(),
            required=False,
            help_text="`{name: value}` or `{name: {type, value}}` for each field.",
        )

        class Meta:
            ref_name = "TaskCompleteInput"

    @_write_schema(
        "tasks_complete",
        "Complete a task",
        "The assignee submits results; each is checked against the task's field definitions "
        "(required, type). Invalid values: 400 `validation` with a message per field.",
        request=InputSerializer,
        codes=(400, 403),
        examples=[
            OpenApiExample("Results", value={"results": RESULTS_EXAMPLE}, request_only=True),
            OpenApiExample(
                "Typed results (LittleHorse style)",
                value={"results": {"approved": {"type": "BOOLEAN", "value": True}}},
                request_only=True,
            ),
        ],
    )
    def post(self, request, task_id):
        serializer = TaskCompleteApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_complete(
            task_id=task_id,
            user=request.user,
            results=serializer.validated_data.get("results", {}),
            expected_version=expected_version(request),
        )
        return detail_response(task_id)


class TaskCancelApi(ApiView):
    """The assignee (admins: anyone) cancels an open task."""

    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "TaskCancelInput"

    @_write_schema(
        "tasks_cancel",
        "Cancel a task",
        "Cancels an open task; only its assignee or an admin may (else 403).",
        request=InputSerializer,
        codes=(400, 403),
    )
    def post(self, request, task_id):
        serializer = TaskCancelApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_cancel(
            task_id=task_id,
            user=request.user,
            message=serializer.validated_data["message"],
            expected_version=expected_version(request),
        )
        return detail_response(task_id)
