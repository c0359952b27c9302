"""``GET /api/v1/admin/stats/``: the dashboard's numbers as JSON (admins only)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox.api.errors import error_responses
from inbox.api.views.common import AdminApiView
from ops.filters import MAX_DAYS, StatsFilters
from ops.stats import dashboard_stats


class OpenCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    unclaimed = serializers.IntegerField()
    overdue = serializers.IntegerField()


class ByGroupSerializer(OpenCountsSerializer):
    group = serializers.CharField()


class ByTypeSerializer(OpenCountsSerializer):
    type = serializers.CharField()


class BySourceSerializer(OpenCountsSerializer):
    source = serializers.CharField()


class TotalsSerializer(OpenCountsSerializer):
    created = serializers.IntegerField(help_text="Tasks created in the window.")
    completed = serializers.IntegerField(help_text="Tasks completed (DONE) in the window.")
    cancelled = serializers.IntegerField()
    breached = serializers.IntegerField(help_text="Tasks completed after their due date.")


class AgeSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    open = serializers.IntegerField()


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    created = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    breached = serializers.IntegerField()


class DurationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tasks measured.")
    median_seconds = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Median (nearest rank, as PostgreSQL's percentile_disc), within 1 % of the exact "
            "value (or 1 s below 1 s) from the rollups, exact when computed from the tasks; "
            "null when no task was measured."
        ),
    )
    p90_seconds = serializers.IntegerField(
        allow_null=True, help_text="90th percentile (nearest rank), within 1 % (or 1 s)."
    )


class DurationsSerializer(serializers.Serializer):
    claim = DurationSerializer(
        help_text="Created to first claim, of tasks completed in the window."
    )
    complete = DurationSerializer(
        help_text="Created to completed, of tasks completed in the window."
    )


class BreachSerializer(serializers.Serializer):
    group = serializers.CharField()
    completed = serializers.IntegerField()
    breached = serializers.IntegerField()


class SourceHealthSerializer(serializers.Serializer):
    source = serializers.CharField()
    kind = serializers.CharField()
    enabled = serializers.BooleanField()
    writeback_pending = serializers.IntegerField()
    writeback_oldest_pending_seconds = serializers.IntegerField(allow_null=True)
    writeback_failed = serializers.IntegerField()
    poll_consecutive_failures = serializers.IntegerField()
    poll_last_error_at = serializers.DateTimeField(allow_null=True)
    poll_last_success_at = serializers.DateTimeField(allow_null=True)


class FiltersSerializer(serializers.Serializer):
    group = serializers.CharField()
    type = serializers.CharField()
    source = serializers.CharField()
    status = serializers.ListField(
        child=serializers.CharField(), help_text="Narrows the open-task figures only."
    )
    due = serializers.CharField(help_text='"overdue" or empty; narrows the open-task figures.')
    unrouted = serializers.BooleanField()
    days = serializers.IntegerField()


class ListFilterSerializer(serializers.Serializer):
    filter = serializers.CharField()
    value = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    list_filters = ListFilterSerializer(
        many=True,
        help_text="The list filters given that the rollups cannot answer (user, q, case, dates, "
        "context, sla), as given; each narrows every figure.",
    )
    computed_from = serializers.ChoiceField(
        choices=["rollups", "tasks"],
        help_text='"rollups": the daily rollups and the open-task snapshot (no task is read); '
        '"tasks": counted from the matching tasks, because a filter needs them.',
    )
    team_view = serializers.BooleanField()
    window = WindowSerializer()
    open_as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the open-task counts were computed (refreshed every minute; now when "
        "computed_from is tasks).",
    )
    totals = TotalsSerializer()
    open_by_group = ByGroupSerializer(many=True)
    open_by_type = ByTypeSerializer(many=True)
    open_by_source = BySourceSerializer(many=True)
    age_buckets = AgeSerializer(many=True)
    daily = DaySerializer(many=True)
    durations = DurationsSerializer()
    breaches_by_group = BreachSerializer(many=True)
    sources = SourceHealthSerializer(many=True)


def _param(name, description):
    return OpenApiParameter(name, OpenApiTypes.STR, description=description)


class AdminStatsApi(AdminApiView):
    @extend_schema(
        operation_id="admin_stats",
        tags=["admin"],
        summary="Operations figures",
        description=(
            "The dashboard's numbers: open, unclaimed and overdue tasks by group, type and source; "
            "ages of open tasks; created, completed and cancelled per day; time to claim and to "
            "complete; due-date breaches; write-back and poll failures per source. Read from "
            "rollups refreshed by a beat job (open counts every minute, days every five minutes). "
            "Takes the task lists' filter names. Group, type, source, status, due=overdue and "
            "days are answered from the rollups. The other list filters (user, q, case, "
            "created_after/before, due_after/before, due=today|week, context__<name>, sla) "
            "narrow every figure too: then the figures are counted from the matching tasks "
            "(history: tasks created or finished in the window only) and computed_from says "
            "tasks. Status and due narrow the open-task figures only. A bad value is a 400 "
            "naming the parameter."
        ),
        parameters=[
            _param("group", "Only this group (name)."),
            _param("type", "Only this task type."),
            _param("source", "Only this source (name); also narrows the source health."),
            _param(
                "status",
                "UNASSIGNED and/or ASSIGNED (comma-separated or repeated): narrows the open-task "
                "figures; the history counts created, completed and cancelled tasks whatever "
                "their status now.",
            ),
            _param(
                "due",
                '"overdue", "today" (due within 24 h) or "week" (within 7 days): narrows the '
                "open-task figures.",
            ),
            _param("user", "Only tasks assigned to this user (username); also `assignee`."),
            _param("q", "Only tasks matching this search, as the task list's search box."),
            OpenApiParameter("case", OpenApiTypes.INT, description="Only this case's tasks."),
            *(
                OpenApiParameter(name, OpenApiTypes.DATETIME, description=text)
                for name, text in (
                    ("created_after", "Only tasks created at or after (ISO date or date-time)."),
                    ("created_before", "Only tasks created before (ISO date or date-time)."),
                    ("due_after", "Only tasks due at or after (ISO date or date-time)."),
                    ("due_before", "Only tasks due before (ISO date or date-time)."),
                )
            ),
            _param(
                "context__<name>",
                "Only tasks whose context variable <name> has this value (text, number or "
                "boolean), e.g. context__region=EU; any number of them.",
            ),
            _param("sla", '"breached" or "at_risk": open tasks past or near their due date.'),
            OpenApiParameter(
                "unrouted", OpenApiTypes.BOOL, description="Only tasks in no group (admins)."
            ),
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                description=f"Days of history, 1 to {MAX_DAYS} (default 30).",
            ),
        ],
        responses={200: StatsSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        filters = StatsFilters.from_params(request.query_params)
        return Response(StatsSerializer(dashboard_stats(request.user, filters)).data)
