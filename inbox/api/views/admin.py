"""Admin endpoints (permission ``inbox.administer_tasks``, else 403): every task, overrides,
users, groups, task types, and the sources: their health, settings (credentials write-only) and
"sync now"."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox import lifecycle, sources
from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    GroupRefSerializer,
    SourceSerializer,
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
from inbox.models import Source

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


class SourceListSerializer(serializers.Serializer):
    results = SourceSerializer(many=True)

    class Meta:
        ref_name = "SourceList"


class AdminSourceListApi(AdminApiView):
    """Admins: every source with its sync health. Credentials never leave the server."""

    @extend_schema(
        operation_id="admin_sources_list",
        tags=TAGS,
        summary="List sources and their health",
        responses={200: SourceListSerializer, **error_responses(403)},
    )
    def get(self, request):
        sources = Source.objects.order_by("name")
        return Response({"results": SourceSerializer(sources, many=True).data})


CREDENTIALS_HELP = (
    "Write-only secrets by name (`token`; the strategy engine also `secret`). Never returned: "
    "answers list only `credential_keys`."
)


class SourceInputSerializer(serializers.Serializer):
    """The shape of a source's settings; ``inbox.sources`` checks the rest (unique name, ...)."""

    name = serializers.SlugField(max_length=100, help_text="A slug, unique.")
    kind = serializers.ChoiceField(choices=sources.ENGINE_KINDS)
    base_url = serializers.URLField(max_length=200, help_text="The engine's API root.")
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=4000),
        required=False,
        help_text=CREDENTIALS_HELP,
    )
    watch = serializers.DictField(
        required=False,
        help_text="What to watch: process keys, workflow ids or names, instance SIDs, task types.",
    )
    mapping = serializers.DictField(
        required=False, help_text="How upstream users and groups map to local ones."
    )
    poll_interval = serializers.IntegerField(
        required=False, min_value=1, max_value=86_400, help_text="Seconds between polls."
    )
    enabled = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "SourceInput"


class SourcePatchSerializer(SourceInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    class Meta:
        ref_name = "SourcePatch"


SOURCE_EXAMPLE = {
    "name": "cloudflare-prod",
    "kind": "cloudflare",
    "base_url": "https://api.cloudflare.com/client/v4",
    "credentials": {"token": "cf-api-token"},
    "watch": {"account_id": "acc-1", "workflows": ["approvals"]},
    "mapping": {},
    "poll_interval": 30,
    "enabled": True,
}


class AdminSourceCreateApi(AdminApiView):
    """Admins: add an engine source; its poll schedule starts at once when enabled."""

    InputSerializer = SourceInputSerializer

    @extend_schema(
        operation_id="admin_sources_create",
        tags=TAGS,
        summary="Add a source",
        description="`name`, `kind` and `base_url` are required. " + CREDENTIALS_HELP,
        request=SourceInputSerializer,
        examples=[OpenApiExample("Cloudflare", value=SOURCE_EXAMPLE, request_only=True)],
        responses={201: SourceSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        serializer = SourceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = sources.source_create(actor=request.user, **serializer.validated_data)
        return Response(SourceSerializer(source).data, status=201)


class AdminSourceCollectionApi(AdminSourceListApi, AdminSourceCreateApi):
    """``admin/sources/``: GET lists (AdminSourceListApi), POST adds (AdminSourceCreateApi)."""


class AdminSourceDetailApi(AdminApiView):
    """Admins: one source's settings and health; PATCH changes some settings."""

    @extend_schema(
        operation_id="admin_sources_retrieve",
        tags=TAGS,
        summary="Get a source",
        parameters=[SOURCE_ID],
        responses={200: SourceSerializer, **error_responses(403, 404)},
    )
    def get(self, request, source_id):
        return Response(SourceSerializer(sources.source_get(source_id=source_id)).data)

    @extend_schema(
        operation_id="admin_sources_update",
        tags=TAGS,
        summary="Change a source's settings",
        description="Only the fields given change. In `credentials` only the keys given change; "
        "an empty string (or null) removes a key. The built-in `local` source cannot change "
        "(409 `task_state`).",
        parameters=[SOURCE_ID],
        request=SourcePatchSerializer,
        examples=[
            OpenApiExample(
                "Rotate the token, poll less often",
                value={"credentials": {"token": "new-token"}, "poll_interval": 60},
                request_only=True,
            ),
            OpenApiExample(
                "Drop a secret, disable",
                value={"credentials": {"secret": ""}, "enabled": False},
                request_only=True,
            ),
        ],
        responses={200: SourceSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request, source_id):
        serializer = SourcePatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = sources.source_update(
            actor=request.user, source_id=source_id, **serializer.validated_data
        )
        return Response(SourceSerializer(source).data)


class AdminSourceSyncApi(AdminApiView):
    """Admins: poll a source now ("Sync now")."""

    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField(
            help_text="False when the worker queue was unreachable; the next scheduled poll "
            "still runs."
        )
        source = SourceSerializer()

        class Meta:
            ref_name = "SourceSyncOutput"

    @extend_schema(
        operation_id="admin_sources_sync",
        tags=TAGS,
        summary="Sync a source now",
        description="Queues one poll outside the schedule. 409 `task_state` for the local "
        "source and for disabled ones.",
        parameters=[SOURCE_ID],
        request=None,
        responses={202: OutputSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, source_id):
        queued = sources.source_request_sync(actor=request.user, source_id=source_id)
        source = sources.source_get(source_id=source_id)
        return Response({"queued": queued, "source": SourceSerializer(source).data}, status=202)
