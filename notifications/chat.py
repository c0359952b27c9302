"""Chat: a user's incoming webhook (Slack or Microsoft Teams message format).

Sent under the notification's row lock (``SKIP LOCKED``) and marked in the same transaction.
A chat service that fails for now (5xx, 429, no answer) is retried with the webhooks' backoff
(``chat_next_attempt_at``, a message sent with that countdown, the sweep as a safety net) and
given up (``failed``) after ``CHAT_MAX_ATTEMPTS`` attempts; a 4xx is final at once.
"""

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications import dispatch
from notifications.mail import absolute, notification_subject
from notifications.models import Notification, UserSettings
from notifications.webhooks import retry_delay

State = Notification.MailState


def slack_message(text: str, link: str) -> dict:
    return {
        "text": f"{text} <{link}|Open in the inbox>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": link}
                ],
            },
        ],
    }


def teams_message(text: str, link: str) -> dict:
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": text,
        "title": text,
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "Open in the inbox",
                "targets": [{"os": "default", "uri": link}],
            }
        ],
    }


def send_chat(notification_pk: int) -> str:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("group")
            .filter(pk=notification_pk, chat_state=State.PENDING)
            .first()
        )
        if notification is None:
            return "skipped"
        due = notification.chat_next_attempt_at
        if due is not None and due > timezone.now():
            return "not-due"
        user_settings = UserSettings.objects.filter(user_id=notification.user_id).first()
        if user_settings is None or not user_settings.chat_url:
            notification.chat_state = State.NONE
        else:
            text = notification_subject(notification).removeprefix("[Inbox] ")
            link = absolute(notification.url)
            build = teams_message if user_settings.chat_format == "teams" else slack_message
            notification.chat_attempts += 1
            try:
                response = httpx.post(
                    user_settings.chat_url,
                    json=build(text, link),
                    timeout=settings.WEBHOOK_TIMEOUT,
                )
                for_now = response.status_code >= 500 or response.status_code == 429
            except httpx.HTTPError:
                response, for_now = None, True
            if for_now:
                return _retry_later(notification)
            notification.chat_state = State.SENT if response.is_success else State.FAILED
        notification.save(update_fields=["chat_state", "chat_attempts"])
        return notification.chat_state


def _retry_later(notification: Notification) -> str:
    """Inside the send's transaction: back off, or give up after the last attempt."""
    if notification.chat_attempts >= settings.CHAT_MAX_ATTEMPTS:
        notification.chat_state = State.FAILED
        notification.save(update_fields=["chat_state", "chat_attempts"])
        return "failed"
    delay = retry_delay(notification.chat_attempts)
    notification.chat_next_attempt_at = timezone.now() + delay
    notification.save(update_fields=["chat_attempts", "chat_next_attempt_at"])
    pk, seconds = notification.pk, delay.total_seconds()
    transaction.on_commit(lambda: dispatch.send(dispatch.SEND_CHAT, pk, countdown=seconds))
    return "retry"


def due_chats(limit: int = 500) -> list[int]:
    """Pending chat messages whose next attempt is due (the sweep re-sends these)."""
    return list(
        Notification.objects.filter(chat_state=State.PENDING)
        .filter(Q(chat_next_attempt_at__isnull=True) | Q(chat_next_attempt_at__lte=timezone.now()))
        .values_list("pk", flat=True)[:limit]
    )
