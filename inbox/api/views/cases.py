"""Cases (engine process instances): admins see all, staff the cases holding a task they may
see. Admins ask the engine to pause, resume or close one (an OutboxCommand, pushed later) and
start new ones where the engine allows it. The execution history and a Cloudflare step's output
are readable by anyone who may see the case."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    page_serializer,
)
from inbox.api.task_rows import task_rows
from inbox.api.views.common import (
    BOOKMARK,
    LIMIT,
    ApiView,
    parse_bookmark,
    parse_limit,
)
from inbox.api.views.tasks import TaskPageSerializer
from inbox.cases import STARTABLE, case_request_action, case_start, case_step_output
from inbox.errors import Forbidden, ValidationError
from inbox.models import Case, OutboxCommand, Source
from inbox.queries import LIST_ROW_FIELDS, TaskFilters, task_page

TAGS = ["cases"]
CASE_ID = OpenApiParameter(
    "case_id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The case's id."
)
CasePageSerializer = page_serializer("CasePage", CaseSerializer)


class CaseListApi(ApiView):
    """Anyone signed in: the cases they may see, newest first."""

    @extend_schema(
        operation_id="cases_list",
        tags=TAGS,
        summary="List cases",
        description="Admins see every case; staff see the cases with at least one task they may "
        "see.",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Case.Status.values),
            OpenApiParameter("source", OpenApiTypes.STR, description="Source name."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Text in the case name."),
            LIMIT,
            BOOKMARK,
        ],
        responses={200: CasePageSerializer, **error_responses(400)},
    )
    def get(self, request):
        params = request.query_params
        status = (params.get("status") or "").strip()
        if status and status not in Case.Status.values:
            raise ValidationError(
                "Invalid filter",
                fields={"status": [f"Must be one of {', '.join(Case.Status.values)}."]},
            )
        cases, bookmark = selectors.case_page(
            user=request.user,
            filters={name: (params.get(name) or "").strip() for name in ("status", "source", "q")},
            limit=parse_limit(params),
            bookmark=parse_bookmark(params),
        )
        return Response({"results": CaseSerializer(cases, many=True).data, "bookmark": bookmark})


class CaseStartApi(ApiView):
    """Inbox admins: start new instances on an engine that allows it (Cloudflare Workflows:
    create and batch create; the execution-strategy engine: create)."""

    class InputSerializer(serializers.Serializer):
        source = serializers.CharField(max_length=100, help_text="The source's name.")
        params = serializers.DictField(
            child=serializers.JSONField(),
            help_text="The engine's own create body. Cloudflare: `{workflow?, instance_id?, "
            "params?}` or `{workflow?, instances: [{instance_id?, params?}, ...]}`; strategy "
            "engine: `{description, strategyId, startDate, attributes}`.",
        )

        class Meta:
            ref_name = "CaseStartInput"

    class OutputSerializer(serializers.Serializer):
        results = CaseSerializer(many=True)

        class Meta:
            ref_name = "CaseStartOutput"

    @extend_schema(
        operation_id="cases_start",
        tags=TAGS,
        summary="Start instances (admins)",
        description="Calls the engine at once and imports what it started, so the answer lists "
        f"the new cases. Engines that can start instances: {', '.join(sorted(STARTABLE))}; "
        "others answer 409 `task_state`. An unknown source or an engine refusal is a 400 "
        "`validation` naming the field.",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "One Cloudflare instance",
                request_only=True,
                value={
                    "source": "cloudflare",
                    "params": {
                        "workflow": "approvals",
                        "instance_id": "order-1042",
                        "params": {"customer": "Globex", "amount": 420},
                    },
                },
            ),
            OpenApiExample(
                "A Cloudflare batch",
                request_only=True,
                value={
                    "source": "cloudflare",
                    "params": {
                        "instances": [
                            {"params": {"customer": "Globex"}},
                            {"params": {"customer": "Initech"}},
                        ]
                    },
                },
            ),
            OpenApiExample(
                "A strategy-engine instance",
                request_only=True,
                value={
                    "source": "strategy",
                    "params": {
                        "description": "Billing for Globex",
                        "strategyId": "subscription-billing",
                        "startDate": "2026-01-01T09:00:00Z",
                        "attributes": {"customer": "Globex"},
                    },
                },
            ),
        ],
        responses={201: OutputSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        if not request.user.is_inbox_admin:
            raise Forbidden("Only inbox admins may start instances.")
        serializer = CaseStartApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data["source"]
        source = Source.objects.filter(name=name).first()
        if source is None:
            raise ValidationError(
                "Unknown source", fields={"source": [f"No source named {name!r}."]}
            )
        cases = case_start(
            source_id=source.pk, actor=request.user, params=serializer.validated_data["params"]
        )
        return Response({"results": CaseSerializer(cases, many=True).data}, status=201)


class CaseCollectionApi(CaseListApi, CaseStartApi):
    """``cases/``: GET lists (CaseListApi), POST starts instances (CaseStartApi)."""


class CaseDetailApi(ApiView):
    """Anyone who may see the case (else 404): its stages, with the tasks each lists."""

    @extend_schema(
        operation_id="cases_retrieve",
        tags=TAGS,
        summary="Get a case with its stages",
        parameters=[CASE_ID],
        responses={200: CaseDetailSerializer, **error_responses(404)},
    )
    def get(self, request, case_id):
        case = selectors.case_detail_get(user=request.user, case_id=case_id)
        return Response(CaseDetailSerializer(case).data)


class CaseTaskListApi(ApiView):
    """Anyone who may see the case: the case's tasks they may see."""

    @extend_schema(
        operation_id="cases_tasks_list",
        tags=TAGS,
        summary="List a case's tasks",
        parameters=[CASE_ID, LIMIT, BOOKMARK],
        responses={200: TaskPageSerializer, **error_responses(400, 404)},
    )
    def get(self, request, case_id):
        case = selectors.case_get(user=request.user, case_id=case_id)
        page = task_page(
            request.user,
            scope="visible",
            filters=TaskFilters(case=case.pk),
            limit=parse_limit(request.query_params),
            bookmark=parse_bookmark(request.query_params),
            row_fields=LIST_ROW_FIELDS,
        )
        return Response({"results": task_rows(page.tasks), "bookmark": page.bookmark})


class CaseHistoryApi(ApiView):
    """Anyone who may see the case (else 404): its execution history as the engine reports it."""

    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=Source.Kind.choices, source="source.kind", help_text="Says the entry shape."
        )
        results = serializers.ListField(
            child=serializers.JSONField(),
            source="history_list",
            help_text="Oldest first. UiPath: element executions `{element_id, name, type, "
            "status, started_at, ended_at, parent, link}`; Cloudflare: steps `{type, name, "
            "start, end, success, finished}`; DocuSign: `{step, name, status}`; strategy engine: "
            "events `{event, task, status, date, last_step}`.",
        )

        class Meta:
            ref_name = "CaseHistory"

    @extend_schema(
        operation_id="cases_history",
        tags=TAGS,
        summary="Get a case's execution history",
        parameters=[CASE_ID],
        examples=[
            OpenApiExample(
                "Cloudflare steps",
                response_only=True,
                value={
                    "kind": "cloudflare",
                    "results": [
                        {
                            "type": "step",
                            "name": "fetch order",
                            "start": "2026-01-05T10:00:00.000Z",
                            "end": "2026-01-05T10:00:01.200Z",
                            "success": True,
                            "finished": True,
                        },
                        {"type": "waitForEvent", "name": "approval", "finished": False},
                    ],
                },
            )
        ],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, case_id):
        case = selectors.case_get(user=request.user, case_id=case_id)
        case.history_list = case.history if isinstance(case.history, list) else []
        return Response(CaseHistoryApi.OutputSerializer(case).data)


class CaseStepApi(ApiView):
    """Anyone who may see the case: one step's full output, fetched from the engine now
    (Cloudflare Workflows only)."""

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField(allow_blank=True, required=False)
        error = serializers.JSONField(allow_null=True, required=False)
        output = serializers.JSONField(allow_null=True, required=False)

        class Meta:
            ref_name = "CaseStepOutput"

    @extend_schema(
        operation_id="cases_step_output",
        tags=TAGS,
        summary="Get a step's output (Cloudflare)",
        description="Asks the engine for the named step's status, error and output. 409 "
        "`task_state` for engines without step outputs; 404 when the case or the step does not "
        "exist.",
        parameters=[
            CASE_ID,
            OpenApiParameter(
                "name", OpenApiTypes.STR, required=True, description="The step's name."
            ),
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                enum=["step", "waitForEvent", "sleep"],
                description="The step's type; default `step`.",
            ),
        ],
        examples=[
            OpenApiExample(
                "A finished step",
                response_only=True,
                value={"status": "complete", "error": None, "output": {"total": 420}},
            )
        ],
        responses={200: OutputSerializer, **error_responses(400, 404, 409)},
    )
    def get(self, request, case_id):
        name = (request.query_params.get("name") or "").strip()
        step_type = (request.query_params.get("type") or "step").strip()
        if not name:
            raise ValidationError("Name the step", fields={"name": ["This parameter is required."]})
        case = selectors.case_get(user=request.user, case_id=case_id)
        result = case_step_output(
            case_id=case.pk, actor=request.user, name=name, step_type=step_type
        )
        if not isinstance(result, dict):
            result = {"status": "", "error": None, "output": result}
        return Response(
            {
                "status": str(result.get("status") or ""),
                "error": result.get("error"),
                "output": result.get("output"),
            }
        )


class CaseCommandSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=OutboxCommand.Action.choices)
    status = serializers.ChoiceField(choices=OutboxCommand.Status.choices)
    case = serializers.IntegerField(source="case_id")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "CaseCommand"


class CaseActionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        ref_name = "CaseActionInput"


def _case_action_view(action: str):
    class CaseActionApi(ApiView):
        __doc__ = f"""Admins: ask the case's engine to {action} it (403 for others)."""

        InputSerializer = CaseActionInputSerializer

        @extend_schema(
            operation_id=f"cases_{action}",
            tags=TAGS,
            summary=f"{action.capitalize()} a case (admins)",
            description=f"Records a `case_{action}` command for the engine; the case's status "
            "changes when the engine confirms. 409 `task_state` when the engine does not offer "
            f"{action} or the case's state does not allow it.",
            parameters=[CASE_ID],
            request=CaseActionInputSerializer,
            examples=[
                OpenApiExample("Why", value={"comment": "Customer asked"}, request_only=True)
            ],
            responses={202: CaseCommandSerializer, **error_responses(400, 403, 404, 409)},
        )
        def post(self, request, case_id):
            serializer = CaseActionInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            command = case_request_action(
                case_id=case_id,
                actor=request.user,
                action=action,
                comment=serializer.validated_data["comment"],
            )
            return Response(CaseCommandSerializer(command).data, status=202)

    CaseActionApi.__name__ = CaseActionApi.__qualname__ = f"Case{action.capitalize()}Api"
    return CaseActionApi


CasePauseApi = _case_action_view("pause")
CaseResumeApi = _case_action_view("resume")
CaseCloseApi = _case_action_view("close")
