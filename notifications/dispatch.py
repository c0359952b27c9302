"""Send a Celery task by name, so low floors (the lifecycle, services) never import
``notifications/tasks.py``. A broker that is down never fails the caller: the periodic sweep
(``notifications.tasks.sweep``) picks up whatever was missed."""

import logging

log = logging.getLogger(__name__)

PUMP = "notifications.tasks.pump"
SEND_MAIL = "notifications.tasks.send_mail"
SEND_CHAT = "notifications.tasks.send_chat"
DELIVER = "notifications.tasks.deliver"


def send(name: str, *args, countdown: float | None = None) -> bool:
    from celery import current_app

    try:
        current_app.send_task(name, args=args, countdown=countdown)
        return True
    except Exception:  # broker unreachable: the sweep re-queues it later
        log.warning("could not enqueue %s%r; the sweep will retry", name, args, exc_info=True)
        return False
