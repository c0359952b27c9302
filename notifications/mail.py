"""Mail: one message per immediate notification (a batch's when its window closes), and a
daily digest at the time each user chose, in their time zone.

Each send locks the notification row (``SKIP LOCKED``) and marks it sent in the same
transaction, so two workers never mail the same notice; a mail server that refuses for now
leaves it pending for the sweep.
"""

import logging
import smtplib
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification, UserSettings

log = logging.getLogger(__name__)
State = Notification.MailState


def absolute(url: str) -> str:
    return settings.INBOX_BASE_URL + url if url.startswith("/") else url


def _message(user: User, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    context = {**context, "user": user, "base_url": settings.INBOX_BASE_URL}
    text = render_to_string(f"notifications/mail/{template}.txt", context)
    html = render_to_string(f"notifications/mail/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def notification_subject(notification: Notification) -> str:
    if notification.batch_until and notification.count > 1:
        return f"[Inbox] {notification.count} new tasks to claim in {notification.group.name}"
    if notification.batch_until:
        return f"[Inbox] A new task to claim in {notification.group.name}"
    return f"[Inbox] {notification.title}"


def send_notification_mail(notification_pk: int) -> str:
    """Mail one notification if it is still pending and its batch window has closed."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "group", "task")
            .filter(pk=notification_pk, mail_state=State.PENDING)
            .first()
        )
        if notification is None:
            return "skipped"
        if notification.batch_until and notification.batch_until > timezone.now():
            return "not-due"
        message = _message(
            notification.user,
            notification_subject(notification),
            "notification",
            {"n": notification, "link": absolute(notification.url)},
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused:
            notification.mail_state = State.FAILED
        except (smtplib.SMTPException, OSError):
            log.warning("mail for notification %s not sent; will retry", notification_pk)
            return "retry"
        else:
            notification.mail_state = State.SENT
        notification.save(update_fields=["mail_state"])
        return notification.mail_state


def digest_moment(user_settings: UserSettings | None, now: datetime) -> datetime:
    """The latest digest time (today's or yesterday's) in the user's zone, as an aware time."""
    zone_name = user_settings.timezone if user_settings else "UTC"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    at = user_settings.digest_time if user_settings else datetime.strptime("08:00", "%H:%M").time()
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), at, tzinfo=zone)
    if moment > local:
        moment -= timedelta(days=1)
    return moment


def send_digests() -> int:
    """Mail each user whose digest time has come their gathered notices; returns mails sent."""
    now = timezone.now()
    sent = 0
    user_ids = (
        Notification.objects.filter(mail_state=State.DIGEST)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(user_ids):
        with transaction.atomic():
            user_settings, _ = UserSettings.objects.select_for_update().get_or_create(
                user_id=user_id
            )
            moment = digest_moment(user_settings, now)
            if user_settings.last_digest_at and user_settings.last_digest_at >= moment:
                continue
            items = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(user_id=user_id, mail_state=State.DIGEST, created_at__lte=now)
                .select_related("group")
                .order_by("created_at", "id")
            )
            if not items:
                continue
            user = User.objects.get(pk=user_id)
            message = _message(
                user,
                f"[Inbox] Your daily digest: {len(items)} notification"
                + ("" if len(items) == 1 else "s"),
                "digest",
                {"items": [(n, absolute(n.url)) for n in items]},
            )
            try:
                message.send()
            except (smtplib.SMTPException, OSError):
                log.warning("digest for user %s not sent; will retry", user_id)
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(mail_state=State.SENT)
            user_settings.last_digest_at = now
            user_settings.save(update_fields=["last_digest_at"])
            sent += 1
    return sent


def sweep_mail() -> list[int]:
    """Pending mails whose batch window has closed (their message may have been lost)."""
    now = timezone.now()
    return list(
        Notification.objects.filter(
            mail_state=State.PENDING, created_at__lte=now - timedelta(seconds=30)
        )
        .exclude(batch_until__gt=now)
        .values_list("pk", flat=True)[:1000]
    )
