"""Admin endpoints for write-backs (permission ``inbox.administer_tasks``, else 403): list them by
source and state, open one, retry it, or resolve it by taking the engine's state."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox.api.errors import error_responses
from inbox.api.serializers import SourceRefSerializer, WriteBackSerializer
from inbox.api.views.common import AdminApiView, parse_limit
from inbox.delivery import outbox_commands
from inbox.errors import NotFound, ValidationError
from inbox.models import OutboxCommand
from inbox.parsing import is_ascii_int
from inbox.sync.outbox_admin import outbox_resolve, outbox_retry

TAGS = ["admin"]
STATES = ["stuck", "open", *OutboxCommand.Status.values]
COMMAND_ID = OpenApiParameter(
    "command_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The write-back."
)


class OutboxCommandSerializer(WriteBackSerializer):
    source = SourceRefSerializer()
    task = serializers.UUIDField(source="task_id", allow_null=True)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    payload = serializers.DictField(help_text="What is sent to the engine.")
    resolved_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "OutboxCommand"


class OutboxPageSerializer(serializers.Serializer):
    results = OutboxCommandSerializer(many=True)
    next_before = serializers.IntegerField(
        allow_null=True, help_text="Pass as `before` for the next (older) page; null at the end."
    )

    class Meta:
        ref_name = "OutboxPage"


def _int_param(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not is_ascii_int(raw):
        raise ValidationError(f"Invalid {name}", fields={name: ["Must be a whole number."]})
    return int(raw)


class AdminOutboxListApi(AdminApiView):
    """Admins: write-backs, newest first."""

    @extend_schema(
        operation_id="admin_outbox_list",
        tags=TAGS,
        summary="List write-backs",
        parameters=[
            OpenApiParameter("source", OpenApiTypes.INT, description="Only this source's."),
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=STATES,
                description="`stuck` = failed + conflict, `open` = pending + retrying, or one "
                "state. Default: every state.",
            ),
            OpenApiParameter("before", OpenApiTypes.INT, description="Keyset: ids below this."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size."),
        ],
        responses={200: OutboxPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        params = request.query_params
        state = (params.get("state") or "").strip()
        if state and state not in STATES:
            raise ValidationError(
                "Invalid state", fields={"state": [f"Use one of {', '.join(STATES)}."]}
            )
        limit = parse_limit(params)
        rows = outbox_commands(
            source_id=_int_param(params, "source"),
            status=state or None,
            before_id=_int_param(params, "before"),
            limit=limit,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {
                "results": OutboxCommandSerializer(rows, many=True).data,
                "next_before": rows[-1].pk if more else None,
            }
        )


def _get(command_id) -> OutboxCommand:
    command = (
        OutboxCommand.objects.select_related("source", "requested_by").filter(pk=command_id).first()
    )
    if command is None:
        raise NotFound("No such write-back")
    return command


class AdminOutboxDetailApi(AdminApiView):
    @extend_schema(
        operation_id="admin_outbox_get",
        tags=TAGS,
        summary="Get a write-back",
        parameters=[COMMAND_ID],
        responses={200: OutboxCommandSerializer, **error_responses(403, 404)},
    )
    def get(self, request, command_id):
        return Response(OutboxCommandSerializer(_get(command_id)).data)


class AdminOutboxRetryApi(AdminApiView):
    @extend_schema(
        operation_id="admin_outbox_retry",
        tags=TAGS,
        summary="Retry a failed or conflicting write-back",
        description="Queues it again; the engine's state is read before anything is sent, so "
        "nothing is applied twice. 409 `task_state` unless it is failed or conflict.",
        parameters=[COMMAND_ID],
        request=None,
        responses={202: OutboxCommandSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, command_id):
        outbox_retry(command_id=command_id, actor=request.user)
        return Response(OutboxCommandSerializer(_get(command_id)).data, status=202)


class ResolveInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    class Meta:
        ref_name = "OutboxResolveInput"


class AdminOutboxResolveApi(AdminApiView):
    @extend_schema(
        operation_id="admin_outbox_resolve",
        tags=TAGS,
        summary="Resolve a write-back by taking the engine's state",
        description="Stops sending it and brings the task in line with what the engine shows "
        "(an event in the task's history). 409 `task_state` unless it is failed or conflict; "
        "400 when the engine cannot be read.",
        parameters=[COMMAND_ID],
        request=ResolveInputSerializer,
        responses={200: OutboxCommandSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, command_id):
        serializer = ResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outbox_resolve(
            command_id=command_id, actor=request.user, note=serializer.validated_data["note"]
        )
        return Response(OutboxCommandSerializer(_get(command_id)).data)
