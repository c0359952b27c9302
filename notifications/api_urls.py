"""API routes of notifications, mounted at ``/api/v1/`` before the inbox's own."""

from django.urls import path

from notifications import api

app_name = "notifications_api"

urlpatterns = [
    path("events/", api.EventFeedApi.as_view(), name="events"),
    path("admin/webhooks/", api.WebhookCollectionApi.as_view(), name="webhooks"),
    path("admin/webhooks/<int:webhook_id>/", api.WebhookDetailApi.as_view(), name="webhook"),
    path(
        "admin/webhooks/deliveries/<int:delivery_id>/resend/",
        api.DeliveryResendApi.as_view(),
        name="delivery-resend",
    ),
]
