"""Celery tasks of notifications, kept thin: call a service. Sent by name through
``notifications.dispatch`` so lower floors never import this module."""

from celery import shared_task

from notifications import dispatch


@shared_task(name=dispatch.PUMP, acks_late=True)
def pump() -> int:
    from notifications.fanout import pump as run

    return run()


@shared_task(name=dispatch.SEND_MAIL, acks_late=True)
def send_mail(notification_id: int) -> str:
    from notifications.mail import send_notification_mail

    return send_notification_mail(notification_id)


@shared_task(name=dispatch.SEND_CHAT, acks_late=True)
def send_chat(notification_id: int) -> str:
    from notifications.chat import send_chat as run

    return run(notification_id)


@shared_task(name=dispatch.DELIVER, acks_late=True)
def deliver(delivery_id: int) -> str:
    from notifications.webhooks import deliver as run

    return run(delivery_id)


@shared_task(name="notifications.tasks.scan")
def scan() -> int:
    """The clock's notices (due soon, overdue, failing sources) and daily digests."""
    from notifications.mail import send_digests
    from notifications.scans import scan as run

    return run() + send_digests()


@shared_task(name="notifications.tasks.sweep")
def sweep() -> int:
    """Re-queue what a lost message or a dead worker left: the outbox, mails, deliveries."""
    from notifications.chat import due_chats
    from notifications.fanout import pump as run_pump
    from notifications.mail import sweep_mail
    from notifications.webhooks import sweep as sweep_deliveries

    count = run_pump()
    for pk in sweep_mail():
        count += dispatch.send(dispatch.SEND_MAIL, pk)
    for pk in due_chats():
        count += dispatch.send(dispatch.SEND_CHAT, pk)
    return count + sweep_deliveries()
