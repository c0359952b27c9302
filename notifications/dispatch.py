"""Send a Celery task by name, so low floors (the lifecycle, services) never import
``notifications/tasks.py``. A broker that is down never fails the caller: the periodic sweep
(``notifications.tasks.sweep``) picks up whatever was missed."""

from inbox import dispatch

PUMP = "notifications.tasks.pump"
SEND_MAIL = "notifications.tasks.send_mail"
SEND_CHAT = "notifications.tasks.send_chat"
DELIVER = "notifications.tasks.deliver"


def send(name: str, *args, countdown: float | None = None) -> bool:
    return dispatch.send(name, *args, countdown=countdown)
