"""Admin endpoints (permission ``inbox.administer_tasks``, else 403): every task, overrides,
users, groups and task types. Sources are in ``sources.py``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox import lifecycle
from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    GroupRefSerializer,
    TaskDetailSerializer,
    UserSerializer,
    page_serializer,
)
from inbox.api.views.common import (
    BOOKMARK,
    CONTEXT_FILTER_NOTE,
    ETAG,
    IF_MATCH,
    LIMIT,
    TASK_ID,
    AdminApiView,
    expected_version,
    parse_bookmark,
    parse_limit,
    task_filter_parameters,
)
from inbox.api.views.tasks import (
    RESULTS_EXAMPLE,
    TaskPageSerializer,
    detail_response,
    list_response,
)

TAGS = ["admin"]
SOURCE_ID = OpenApiParameter(
    "source_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The source's id."
)


class AdminTaskListApi(AdminApiView):
    """Admins: every task, with every filter (plus the assignee's username as ``user``)."""

    @extend_schema(
        operation_id="admin_tasks_list",
        tags=TAGS,
        summary="List all tasks",
        description="All tasks, oldest first, keyset-paginated." + CONTEXT_FILTER_NOTE,
        parameters=task_filter_parameters(admin=True),
        responses={200: TaskPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        return list_response(request.user, request, scope="all")


class AdminTaskDetailApi(AdminApiView):
    """Admins: any task with its full history."""

    @extend_schema(
        operation_id="admin_tasks_retrieve",
        tags=TAGS,
        summary="Get any task",
        parameters=[TASK_ID, ETAG],
        responses={
            200: TaskDetailSerializer,
            **error_responses(403, 404),
        },
    )
    def get(self, request, task_id):
        return detail_response(task_id, user=request.user)


def _admin_write_schema(operation_id, summary, description, request, examples, codes=()):
    return extend_schema(
        operation_id=operation_id,
        tags=TAGS,
        summary=summary,
        description=description,
        parameters=[TASK_ID, IF_MATCH, ETAG],
        request=request,
        examples=examples,
        responses={
            200: TaskDetailSerializer,
            **error_responses(400, 403, 404, 409, 412, *codes),
        },
    )


class AdminTaskAssignApi(AdminApiView):
    """Admins: assign an open task to a user and/or move it to a group."""

    class InputSerializer(serializers.Serializer):
        user = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, help_text="Username."
        )
        group = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, help_text="Group name."
        )

        class Meta:
            ref_name = "AdminAssignInput"

    @_admin_write_schema(
        "admin_tasks_assign",
        "Assign a task",
        "A user makes the task ASSIGNED to them; a group alone makes it UNASSIGNED in that group. "
        "Both empty: 400. Unknown user or group: 409 `assignment`.",
        InputSerializer,
        [
            OpenApiExample("To a user", value={"user": "alice"}, request_only=True),
            OpenApiExample("To a group", value={"group": "legal"}, request_only=True),
        ],
    )
    def post(self, request, task_id):
        serializer = AdminTaskAssignApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_assign(
            task_id=task_id,
            actor=request.user,
            user=serializer.validated_data.get("user") or None,
            group=serializer.validated_data.get("group") or None,
            expected_version=expected_version(request),
        )
        return detail_response(task_id)


class AdminTaskCompleteApi(AdminApiView):
    """Admins: complete any open task with valid results (an override)."""

    class InputSerializer(serializers.Serializer):
        results = serializers.DictField(child=serializers.JSONField(), required=False)
        reason = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "AdminCompleteInput"

    @_admin_write_schema(
        "admin_tasks_complete",
        "Complete any task",
        "Completes an open task whoever holds it; results are validated like the assignee's.",
        InputSerializer,
        [
            OpenApiExample(
                "Override",
                value={"results": RESULTS_EXAMPLE, "reason": "Approved by phone"},
                request_only=True,
            )
        ],
    )
    def post(self, request, task_id):
        serializer = AdminTaskCompleteApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_admin_complete(
            task_id=task_id,
            actor=request.user,
            results=serializer.validated_data.get("results", {}),
            reason=serializer.validated_data["reason"],
            expected_version=expected_version(request),
        )
        return detail_response(task_id)


class AdminTaskCancelApi(AdminApiView):
    """Admins: cancel any open task."""

    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "AdminCancelInput"

    @_admin_write_schema(
        "admin_tasks_cancel",
        "Cancel any task",
        "Cancels an open task whoever holds it.",
        InputSerializer,
        [OpenApiExample("Duplicate", value={"message": "Duplicate request"}, request_only=True)],
    )
    def post(self, request, task_id):
        serializer = AdminTaskCancelApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.task_admin_cancel(
            task_id=task_id,
            actor=request.user,
            message=serializer.validated_data["message"],
            expected_version=expected_version(request),
        )
        return detail_response(task_id)


UserPageSerializer = page_serializer("UserPage", UserSerializer)
GroupPageSerializer = page_serializer("GroupPage", GroupRefSerializer)
TaskTypePageSerializer = page_serializer(
    "TaskTypePage", serializers.ListField(child=serializers.CharField())
)


class AdminUserListApi(AdminApiView):
    """Admins: users with their groups, by id, filterable."""

    FILTERS = ("username", "email", "first_name", "last_name", "group")

    @extend_schema(
        operation_id="admin_users_list",
        tags=TAGS,
        summary="List users",
        parameters=[
            *(
                OpenApiParameter(
                    name,
                    OpenApiTypes.STR,
                    description="Group name." if name == "group" else "Exact, case-insensitive.",
                )
                for name in FILTERS
            ),
            LIMIT,
            BOOKMARK,
        ],
        responses={200: UserPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        params = request.query_params
        users, bookmark = selectors.user_page(
            filters={name: (params.get(name) or "").strip() for name in self.FILTERS},
            limit=parse_limit(params),
            bookmark=parse_bookmark(params),
        )
        return Response({"results": UserSerializer(users, many=True).data, "bookmark": bookmark})


class AdminGroupListApi(AdminApiView):
    """Admins: every group, by name."""

    @extend_schema(
        operation_id="admin_groups_list",
        tags=TAGS,
        summary="List groups",
        parameters=[LIMIT, BOOKMARK],
        responses={200: GroupPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        groups, bookmark = selectors.group_page(
            limit=parse_limit(request.query_params), bookmark=parse_bookmark(request.query_params)
        )
        return Response(
            {"results": GroupRefSerializer(groups, many=True).data, "bookmark": bookmark}
        )


class AdminTaskTypeListApi(AdminApiView):
    """Admins: the distinct task types (user-task-def names), alphabetically."""

    @extend_schema(
        operation_id="admin_task_types_list",
        tags=TAGS,
        summary="List task types",
        parameters=[LIMIT, BOOKMARK],
        responses={200: TaskTypePageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        names, bookmark = selectors.task_type_page(
            limit=parse_limit(request.query_params), bookmark=parse_bookmark(request.query_params)
        )
        return Response({"results": names, "bookmark": bookmark})
