"""Completion callbacks: a task created through the API may name a URL to be told, once, when
it is completed or cancelled (the delivery is written by the fan-out, ``fanout.py``)."""

from inbox.errors import ValidationError
from inbox.models import UserTask
from notifications.models import CompletionCallback
from notifications.urlcheck import check_target_url


def check_callback(url: str, secret: str = "") -> tuple[str, str]:
    """Validate before the task is created, so a bad URL creates nothing."""
    url = check_target_url(url, field="callback_url")
    if len(secret or "") > 200:
        raise ValidationError(
            "The callback secret is too long.", fields={"callback_secret": ["At most 200."]}
        )
    return url, secret or ""


def callback_register(*, task: UserTask, url: str, secret: str = "") -> CompletionCallback:
    """Call in the transaction that creates the task."""
    return CompletionCallback.objects.create(task=task, url=url, secret=secret)
