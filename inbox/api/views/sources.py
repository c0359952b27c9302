"""Admin endpoints for engine sources (permission ``inbox.administer_tasks``, else 403): their
health, settings (credentials write-only; overlap with another enabled source refused unless
``override``), delete, and "sync now"."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox import sources
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    SourceSerializer,
)
from inbox.api.views.common import (
    AdminApiView,
)
from inbox.models import Source

TAGS = ["admin"]
SOURCE_ID = OpenApiParameter(
    "source_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The source's id."
)


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
        sources = Source.objects.filter(deleted_at__isnull=True).order_by("name")
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
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Save although another enabled source of this engine already watches the "
        "same base URL and account/workflows/instances (a migration). Without it such a save "
        "is refused with 400 naming the other source.",
    )

    class Meta:
        ref_name = "SourceInput"


class SourcePatchSerializer(SourceInputSerializer):
    retire_open_tasks = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `enabled: false`: end the source's open tasks here as CANCELLED (an "
        "event says why; nothing is written back to the engine).",
    )

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
        data = dict(serializer.validated_data)
        source = sources.source_create(
            actor=request.user, override=data.pop("override", False), **data
        )
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
        data = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        source = sources.source_update(
            actor=request.user,
            source_id=source_id,
            override=data.pop("override", False),
            retire_open_tasks=data.pop("retire_open_tasks", False),
            **data,
        )
        return Response(SourceSerializer(source).data)

    class DeleteOutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        kept_history = serializers.BooleanField(
            help_text="True when the source had tasks, cases or write-backs: it is disabled, "
            "renamed and hidden instead of removed, so that history stays readable."
        )
        retired_tasks = serializers.IntegerField(
            help_text="Open tasks ended as CANCELLED (nothing sent to the engine)."
        )

        class Meta:
            ref_name = "SourceDeleteOutput"

    @extend_schema(
        operation_id="admin_sources_delete",
        tags=TAGS,
        summary="Delete a source",
        description="Its open tasks are retired (CANCELLED here with an event saying why; "
        "nothing is written back). A source with history is kept disabled and hidden "
        "(`kept_history`); one without is removed. The `local` source cannot be deleted "
        "(409 `task_state`).",
        parameters=[SOURCE_ID],
        request=None,
        responses={200: DeleteOutputSerializer, **error_responses(403, 404, 409)},
    )
    def delete(self, request, source_id):
        deleted = sources.source_delete(actor=request.user, source_id=source_id)
        return Response(
            {"name": deleted.name, "kept_history": deleted.soft, "retired_tasks": deleted.retired}
        )


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
