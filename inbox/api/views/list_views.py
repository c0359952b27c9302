"""Saved list views over the API: ``GET/POST /api/v1/views/``, ``GET/PATCH/DELETE
/api/v1/views/<id>/``, and CSV export of any task list (``GET /api/v1/tasks/export/``).

Anyone signed in lists the views they may apply (their own, their groups', everyone's; admins
all) and saves their own; only the owner or an admin changes or deletes one
(``inbox.listviews`` holds the rules). Apply a view to any task list with ``view=<id>``.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox import listviews
from inbox.api.errors import error_responses
from inbox.api.views.common import ApiView, task_filter_parameters
from inbox.errors import ValidationError
from inbox.queries.views import list_view_get, visible_list_views
from inbox.views.export import EXPORT_SCOPES, csv_response

TAGS = ["views"]
VIEW_ID = OpenApiParameter("view_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ListViewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    filters = serializers.DictField(help_text='List parameters, e.g. `{"status": "UNASSIGNED"}`.')
    sort = serializers.CharField(allow_blank=True, help_text="e.g. `-due`, `context__amount`.")
    columns = serializers.ListField(child=serializers.CharField(), help_text="Context variables.")
    groups = serializers.SerializerMethodField(help_text="Shared with these groups.")
    everyone = serializers.BooleanField(help_text="Shared with every user (admins set it).")
    pinned = serializers.BooleanField(help_text="Shown in the navigation with a count.")
    url = serializers.SerializerMethodField(help_text="The view's page in the browser.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ListView"

    def get_groups(self, view) -> list[str]:
        return sorted(g.name for g in view.groups.all())

    def get_url(self, view) -> str:
        return reverse("inbox:view", args=[view.pk])


class ListViewInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    filters = serializers.DictField(required=False)
    sort = serializers.CharField(required=False, allow_blank=True)
    columns = serializers.ListField(child=serializers.CharField(), required=False)
    groups = serializers.ListField(child=serializers.CharField(), required=False)
    everyone = serializers.BooleanField(required=False)
    pinned = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "ListViewInput"


class ListViewListSerializer(serializers.Serializer):
    results = ListViewSerializer(many=True)

    class Meta:
        ref_name = "ListViewList"


EXAMPLE = {
    "name": "EU invoices by due date",
    "filters": {"status": "UNASSIGNED", "context__region": "EU", "type": "invoice"},
    "sort": "due",
    "columns": ["amount", "customer"],
    "groups": ["finance"],
    "pinned": True,
}


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError("Send a JSON object.", fields={"body": ["Expected an object."]})
    return dict(request.data)


class ListViewCollectionApi(ApiView):
    @extend_schema(
        operation_id="views_list",
        tags=TAGS,
        summary="Saved views I may apply",
        responses={200: ListViewListSerializer, **error_responses()},
    )
    def get(self, request):
        views = visible_list_views(request.user).order_by("name", "id")[:500]
        return Response({"results": ListViewSerializer(views, many=True).data})

    @extend_schema(
        operation_id="views_create",
        tags=TAGS,
        summary="Save a view",
        description="`groups`: only groups you are in (admins: any); `everyone`: admins only. "
        "`sort` and `columns` are checked like the list parameters.",
        request=ListViewInputSerializer,
        responses={201: ListViewSerializer, **error_responses(400)},
        examples=[OpenApiExample("A team view", request_only=True, value=EXAMPLE)],
    )
    def post(self, request):
        view = listviews.view_create(user=request.user, data=_body(request))
        return Response(ListViewSerializer(list_view_get(request.user, view.pk)).data, status=201)


class ListViewItemApi(ApiView):
    @extend_schema(
        operation_id="views_retrieve",
        tags=TAGS,
        summary="A saved view",
        parameters=[VIEW_ID],
        responses={200: ListViewSerializer, **error_responses(404)},
    )
    def get(self, request, view_id):
        return Response(ListViewSerializer(list_view_get(request.user, view_id)).data)

    @extend_schema(
        operation_id="views_partial_update",
        tags=TAGS,
        summary="Change a view (its owner or an admin)",
        parameters=[VIEW_ID],
        request=ListViewInputSerializer,
        responses={200: ListViewSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, view_id):
        listviews.view_update(user=request.user, view_id=view_id, data=_body(request))
        return Response(ListViewSerializer(list_view_get(request.user, view_id)).data)

    @extend_schema(
        operation_id="views_destroy",
        tags=TAGS,
        summary="Delete a view (its owner or an admin)",
        parameters=[VIEW_ID],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(403, 404)},
    )
    def delete(self, request, view_id):
        listviews.view_delete(user=request.user, view_id=view_id)
        return Response(status=204)


class TaskExportApi(ApiView):
    """Any task list as CSV: the same parameters (``view=``, filters, ``sort=``, ``columns=``)
    and visibility as the list; streamed in keyset chunks."""

    @extend_schema(
        operation_id="tasks_export",
        tags=["tasks"],
        summary="Export a task list as CSV",
        parameters=[
            OpenApiParameter(
                "scope",
                OpenApiTypes.STR,
                enum=list(EXPORT_SCOPES),
                description="Default `visible`; `all` for admins.",
            ),
            OpenApiParameter(
                "columns", OpenApiTypes.STR, description="Context variables, comma-separated."
            ),
            *task_filter_parameters(),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR),
            **error_responses(400),
        },
    )
    def get(self, request):
        scope = request.query_params.get("scope") or "visible"
        if scope not in EXPORT_SCOPES or (scope == "all" and not request.user.is_inbox_admin):
            raise ValidationError(
                "Invalid scope",
                fields={"scope": [f"Must be one of {', '.join(EXPORT_SCOPES)} (all: admins)."]},
            )
        return csv_response(request.user, request.query_params, scope=scope, filename="tasks.csv")
