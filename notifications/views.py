"""htmx pages: the header bell, the notifications page (mark read / all read), preferences,
and admins' webhooks with their recent deliveries (re-send by hand)."""

from django.contrib import messages
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from inbox.errors import ValidationError
from inbox.views.common import admin_view, staff_view
from notifications import preferences, webhooks
from notifications.models import Kind, Mode, Notification, UserSettings, Webhook
from notifications.payloads import WEBHOOK_EVENTS
from notifications.urlcheck import check_target_url

BELL_CAP = 99


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True)[: BELL_CAP + 1].count()


@staff_view
def bell(request):
    """The header bell; polled by htmx. Answers 204 when the count the page shows is current."""
    count = unread_count(request.user)
    if request.GET.get("shown") == str(count):
        return HttpResponse(status=204)
    return render(request, "notifications/_bell.html", {"unread": count, "cap": BELL_CAP})


@staff_view
def notification_list(request):
    items = list(
        Notification.objects.filter(user=request.user).select_related("group", "task")[:100]
    )
    return render(
        request,
        "notifications/list.html",
        {"items": items, "unread": sum(1 for n in items if n.read_at is None)},
    )


@staff_view
@require_POST
def notification_read(request, notification_id: int):
    """Mark one read, then open what it is about."""
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "notifications:list"
    return redirect(target)


@staff_view
@require_POST
def notification_read_all(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications:list")


@staff_view
def preference_page(request):
    user = request.user
    user_settings, _ = UserSettings.objects.get_or_create(user=user)
    errors = {}
    if request.method == "POST":
        for kind in Kind.values:
            mode = request.POST.get(f"mode_{kind}")
            if mode in Mode.values:
                preferences.preference_set(user=user, kind=kind, mode=mode)
        tz = request.POST.get("timezone", "UTC").strip() or "UTC"
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(tz)
            user_settings.timezone = tz
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"Unknown time zone {tz!r}; use a name like Europe/Berlin."
        digest_time = request.POST.get("digest_time", "").strip()
        if digest_time:
            try:
                user_settings.digest_time = timezone.datetime.strptime(digest_time, "%H:%M").time()
            except ValueError:
                errors["digest_time"] = "Use a time like 08:00."
        chat_url = request.POST.get("chat_url", "").strip()
        if chat_url:
            try:
                user_settings.chat_url = check_target_url(chat_url, field="chat_url")
            except ValidationError as exc:
                errors["chat_url"] = exc.message
        else:
            user_settings.chat_url = ""
        if request.POST.get("chat_format") in UserSettings.ChatFormat.values:
            user_settings.chat_format = request.POST["chat_format"]
        if not errors:
            user_settings.save()
            messages.success(request, "Notification preferences saved.")
            return redirect("notifications:preferences")
    modes = preferences.preferences_of(user)
    rows = [(kind, label, modes[kind]) for kind, label in Kind.choices]
    if not user.is_inbox_admin:
        rows = [r for r in rows if r[0] not in (Kind.WRITEBACK_FAILED, Kind.SOURCE_FAILING)]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "modes": Mode.choices,
            "settings": user_settings,
            "errors": errors,
            "chat_formats": UserSettings.ChatFormat.choices,
        },
        status=400 if errors else 200,
    )


@admin_view
def webhook_page(request):
    """Admins: webhooks, their recent deliveries, and group defaults of preferences."""
    errors, created = {}, None
    if request.method == "POST" and request.POST.get("action") == "create":
        try:
            created = webhooks.webhook_create(
                name=request.POST.get("name", ""),
                url=request.POST.get("url", ""),
                events=request.POST.getlist("events"),
                created_by=request.user,
            )
            messages.success(request, f"Webhook {created.name} created.")
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in (exc.fields or {}).items()} or {"url": exc.message}
    elif request.method == "POST" and request.POST.get("action") == "resend":
        from notifications.models import WebhookDelivery

        delivery = get_object_or_404(WebhookDelivery, pk=request.POST.get("delivery"))
        webhooks.delivery_resend(delivery=delivery)
        messages.success(request, "Delivery queued again.")
        return redirect("notifications:webhooks")
    elif request.method == "POST" and request.POST.get("action") == "group_default":
        group = get_object_or_404(Group, pk=request.POST.get("group"))
        kind, mode = request.POST.get("kind"), request.POST.get("mode")
        if kind in Kind.values and (mode in Mode.values or mode == ""):
            preferences.group_default_set(group=group, kind=kind, mode=mode or None)
            messages.success(request, f"Default for {group.name} saved.")
        return redirect("notifications:webhooks")
    hooks = [
        (hook, list(hook.deliveries.select_related("task").order_by("-id")[:10]))
        for hook in Webhook.objects.all()
    ]
    from notifications.models import GroupDefault

    return render(
        request,
        "notifications/webhooks.html",
        {
            "hooks": hooks,
            "created": created,
            "errors": errors,
            "events": WEBHOOK_EVENTS,
            "form": request.POST if errors else {},
            "groups": Group.objects.order_by("name"),
            "kinds": Kind.choices,
            "modes": Mode.choices,
            "defaults": GroupDefault.objects.select_related("group").order_by("group__name"),
        },
        status=400 if errors else 200,
    )
