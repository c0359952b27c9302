"""Chat: a user's incoming webhook (Slack or Microsoft Teams message format).

Sent under the notification's row lock (``SKIP LOCKED``) and marked in the same transaction;
a chat service that fails for now leaves it pending for the sweep.
"""

import httpx
from django.conf import settings
from django.db import transaction

from notifications.mail import absolute, notification_subject
from notifications.models import Notification, UserSettings

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
        user_settings = UserSettings.objects.filter(user_id=notification.user_id).first()
        if user_settings is None or not user_settings.chat_url:
            notification.chat_state = State.NONE
        else:
            text = notification_subject(notification).removeprefix("[Inbox] ")
            link = absolute(notification.url)
            build = teams_message if user_settings.chat_format == "teams" else slack_message
            try:
                response = httpx.post(
                    user_settings.chat_url,
                    json=build(text, link),
                    timeout=settings.WEBHOOK_TIMEOUT,
                )
            except httpx.HTTPError:
                return "retry"
            if response.status_code >= 500 or response.status_code == 429:
                return "retry"
            notification.chat_state = State.SENT if response.is_success else State.FAILED
        notification.save(update_fields=["chat_state"])
        return notification.chat_state
