"""Cases (engine process instances): admins see all, staff the cases holding a task they may
see. Admins ask the engine to pause, resume or close one (an OutboxCommand, pushed later)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox.api import selectors
from inbox.api.errors import error_responses
from inbox.api.serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    TaskSerializer,
    page_serializer,
)
from inbox.api.views.common import (
    BOOKMARK,
    LIMIT,
    ApiView,
    parse_bookmark,
    parse_limit,
)
from inbox.api.views.tasks import TaskPageSerializer
from inbox.cases import case_request_action
from inbox.errors import ValidationError
from inbox.models import Case, OutboxCommand
from inbox.queries import TaskFilters, task_page

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
        )
        return Response(
            {"results": TaskSerializer(page.tasks, many=True).data, "bookmark": page.bookmark}
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
