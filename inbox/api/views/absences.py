"""``/api/v1/me/absences/``: the caller's out-of-office periods (list, add, remove).

Writes go through ``accounts.absences`` (validation, overlap check under a lock); an absence
that has already started and asks to return held tasks gives them back at once through
``inbox.lifecycle.tasks_return_for_absences`` (the beat job does it for later starts).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import absences
from inbox import lifecycle
from inbox.api.errors import error_responses
from inbox.api.views.common import ApiView

TAGS = ["me"]


class AbsenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    substitute = serializers.CharField(source="substitute.username", help_text="Username.")
    return_tasks = serializers.BooleanField(
        help_text="The tasks you hold go back to their groups when the absence starts."
    )
    returned_at = serializers.DateTimeField(
        allow_null=True, help_text="When the held tasks were given back."
    )
    active = serializers.SerializerMethodField(help_text="Running now.")

    class Meta:
        ref_name = "Absence"

    def get_active(self, absence) -> bool:
        return absence.starts_at <= timezone.now() < absence.ends_at


class AbsenceCollectionApi(ApiView):
    """Anyone signed in: their absences that have not ended (GET), or a new one (POST)."""

    class InputSerializer(serializers.Serializer):
        starts_at = serializers.DateTimeField(help_text="From (ISO 8601 with offset).")
        ends_at = serializers.DateTimeField(help_text="Until; after `starts_at`, in the future.")
        substitute = serializers.CharField(help_text="Username (or id) of who stands in.")
        return_tasks = serializers.BooleanField(required=False, default=False)

        class Meta:
            ref_name = "AbsenceInput"

    @extend_schema(
        operation_id="me_absences_list",
        tags=TAGS,
        summary="List my absences",
        responses={200: AbsenceSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        return Response(AbsenceSerializer(absences.absences_of(request.user), many=True).data)

    @extend_schema(
        operation_id="me_absences_create",
        tags=TAGS,
        summary="Add an absence (out of office)",
        description="While it runs, tasks the engine or an admin assigns to you go to the "
        "substitute, and so do your notices of new tasks to claim. `return_tasks`: what you hold "
        "goes back to its groups when it starts. 400 `validation` naming the field: `ends_at` "
        "not after `starts_at` or already past, `substitute` unknown, inactive or yourself, "
        "`starts_at` overlapping another absence of yours.",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "A week off",
                value={
                    "starts_at": "2026-12-21T08:00:00+01:00",
                    "ends_at": "2026-12-28T08:00:00+01:00",
                    "substitute": "bob",
                    "return_tasks": True,
                },
                request_only=True,
            )
        ],
        responses={201: AbsenceSerializer, **error_responses(400)},
    )
    def post(self, request):
        serializer = AbsenceCollectionApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        absence = absences.absence_create(
            user=request.user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            substitute=data["substitute"],
            return_tasks=data["return_tasks"],
        )
        if absence.return_tasks and absence.starts_at <= timezone.now():
            lifecycle.tasks_return_for_absences(user=request.user)
            absence.refresh_from_db()
        return Response(AbsenceSerializer(absence).data, status=201)


class AbsenceItemApi(ApiView):
    """Anyone signed in: remove one of their absences (a running one ends now)."""

    @extend_schema(
        operation_id="me_absences_destroy",
        tags=TAGS,
        summary="Remove an absence",
        parameters=[
            OpenApiParameter(
                "absence_id",
                OpenApiTypes.INT,
                location=OpenApiParameter.PATH,
                description="Its id.",
            )
        ],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **error_responses(404)},
    )
    def delete(self, request, absence_id):
        absences.absence_delete(user=request.user, absence_id=absence_id)
        return Response(status=204)
