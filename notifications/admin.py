from django.contrib import admin

from notifications.models import GroupDefault, Notification, Preference, Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "created_at"]
    exclude = ["secret"]

    def save_model(self, request, obj, form, change):
        if not obj.secret:
            import secrets

            obj.secret = "whsec_" + secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "delivery_id",
        "webhook",
        "event_kind",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "event_kind"]
    raw_id_fields = ["task", "callback"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "mail_state", "created_at", "read_at"]
    list_filter = ["kind", "mail_state"]
    raw_id_fields = ["user", "task", "group"]


admin.site.register(Preference)
admin.site.register(GroupDefault)
