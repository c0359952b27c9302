"""REST: the event feed, and admins' outbound webhooks with their deliveries."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from inbox.api.errors import error_responses
from inbox.api.views.common import AdminApiView, ApiView, parse_limit
from notifications import webhooks
from notifications.feed import feed_page, parse_cursor
from notifications.models import Webhook, WebhookDelivery
from notifications.payloads import WEBHOOK_EVENTS


class FeedEventSerializer(serializers.Serializer):
    cursor = serializers.CharField()
    id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="A task event (CREATED, ASSIGNED, ...) or a case event (CASE_SEEN, "
        "CASE_STATUS_CHANGED)."
    )
    task_id = serializers.UUIDField(allow_null=True, help_text="Set on task events.")
    case_id = serializers.IntegerField(allow_null=True, help_text="Set on case events.")
    actor = serializers.CharField()
    created_at = serializers.DateTimeField()
    data = serializers.DictField()


class FeedSerializer(serializers.Serializer):
    results = FeedEventSerializer(many=True)
    next = serializers.CharField(help_text="Pass as `after` to read on.")
    more = serializers.BooleanField(help_text="More events are already waiting.")


class EventFeedApi(ApiView):
    """Anyone signed in: the task and case events they may see, oldest first, from a cursor."""

    @extend_schema(
        operation_id="events_list",
        tags=["tasks"],
        summary="Event feed",
        description="Append-only task and case events the caller may see, in feed order. Keep `next` "
        "and call again with `after=<next>` to catch up; events that commit later always "
        "come after the cursor you hold.",
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="The `next` of a page."),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses={200: FeedSerializer, **error_responses(400)},
    )
    def get(self, request):
        page = feed_page(
            request.user,
            after=parse_cursor(request.query_params.get("after")),
            limit=parse_limit(request.query_params),
        )
        results = [
            {
                "cursor": str(seq),
                "id": event.pk,
                "kind": event.kind,
                "task_id": getattr(event, "task_id", None),
                "case_id": getattr(event, "case_id", None),
                "actor": event.actor_name,
                "created_at": event.created_at,
                "data": event.data,
            }
            for seq, event in page.items
        ]
        return Response(
            FeedSerializer(
                {"results": results, "next": str(page.next_cursor), "more": page.more}
            ).data
        )


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "active", "created_at"]
        ref_name = "Webhook"


class WebhookCreatedSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        ref_name = "WebhookCreated"


class WebhookInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=1000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False
    )
    active = serializers.BooleanField(required=False, default=True)

    class Meta:
        ref_name = "WebhookInput"


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event_kind",
            "task",
            "case",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "next_attempt_at",
        ]
        ref_name = "WebhookDelivery"


class WebhookListSerializer(serializers.Serializer):
    results = WebhookSerializer(many=True)

    class Meta:
        ref_name = "WebhookList"


class WebhookDetailSerializer(WebhookSerializer):
    deliveries = DeliverySerializer(many=True, help_text="The 50 most recent, newest first.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "deliveries"]
        ref_name = "WebhookDetail"


class WebhookCollectionApi(AdminApiView):
    @extend_schema(
        operation_id="admin_webhooks_list",
        tags=["admin"],
        summary="List webhooks",
        responses={200: WebhookListSerializer, **error_responses(403)},
    )
    def get(self, request):
        return Response({"results": WebhookSerializer(Webhook.objects.all(), many=True).data})

    @extend_schema(
        operation_id="admin_webhooks_create",
        tags=["admin"],
        summary="Subscribe a URL to task events",
        description="The answer carries the signing `secret` once. Deliveries are signed: "
        "see the README, 'Webhook signatures'.",
        request=WebhookInput,
        responses={201: WebhookCreatedSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        serializer = WebhookInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hook = webhooks.webhook_create(
            name=data["name"], url=data["url"], events=data["events"], created_by=request.user
        )
        if not data.get("active", True):
            webhooks.webhook_update(webhook=hook, active=False)
        return Response(WebhookCreatedSerializer(hook).data, status=201)


class WebhookDetailApi(AdminApiView):
    @extend_schema(
        operation_id="admin_webhooks_retrieve",
        tags=["admin"],
        summary="A webhook and its recent deliveries",
        responses={200: WebhookDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request, webhook_id: int):
        hook = get_object_or_404(Webhook, pk=webhook_id)
        deliveries = hook.deliveries.order_by("-id")[:50]
        return Response(
            {
                **WebhookSerializer(hook).data,
                "deliveries": DeliverySerializer(deliveries, many=True).data,
            }
        )

    @extend_schema(
        operation_id="admin_webhooks_update",
        tags=["admin"],
        summary="Change a webhook",
        request=WebhookInput(partial=True),
        responses={200: WebhookSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, webhook_id: int):
        hook = get_object_or_404(Webhook, pk=webhook_id)
        serializer = WebhookInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        webhooks.webhook_update(webhook=hook, **serializer.validated_data)
        return Response(WebhookSerializer(hook).data)

    @extend_schema(
        operation_id="admin_webhooks_destroy",
        tags=["admin"],
        summary="Delete a webhook",
        responses={204: None, **error_responses(403, 404)},
    )
    def delete(self, request, webhook_id: int):
        get_object_or_404(Webhook, pk=webhook_id).delete()
        return Response(status=204)


class DeliveryResendApi(AdminApiView):
    @extend_schema(
        operation_id="admin_webhook_deliveries_resend",
        tags=["admin"],
        summary="Send a delivery again",
        request=None,
        responses={202: DeliverySerializer, **error_responses(403, 404)},
    )
    def post(self, request, delivery_id: int):
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
        copy = webhooks.delivery_resend(delivery=delivery)
        return Response(DeliverySerializer(copy).data, status=202)
