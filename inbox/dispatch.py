"""Ask for background work by Celery task *name*: the one way the low floors (the lifecycle, sync
services, notifications) queue work without importing the Celery task modules above them.

``send`` never fails the caller: when the broker is down it logs and returns False, and the
periodic sweepers (``inbox.tasks.sweep_outbox``, ``notifications.tasks.sweep``) re-queue what
was missed. Call it from ``transaction.on_commit`` so nothing is queued for a change that rolled
back.
"""

import logging

log = logging.getLogger(__name__)

PUSH_OUTBOX = "inbox.tasks.push_outbox_command"
POLL_SOURCE = "inbox.tasks.poll_source"


def send(name: str, *args, countdown: float | None = None) -> bool:
    """Queue the task registered as ``name`` (run in place when the app is eager)."""
    from celery import current_app

    try:
        task = current_app.tasks.get(name)
        if task is not None:  # honours task_always_eager, as the embedded/test setups use
            task.apply_async(args, countdown=countdown)
        else:
            current_app.send_task(name, args=args, countdown=countdown)
        return True
    except Exception:  # broker unreachable: a sweeper picks the work up later
        log.warning("could not enqueue %s%r; the sweeper will retry", name, args, exc_info=True)
        return False


def push_outbox(command_id: int, *, countdown: float | None = None) -> bool:
    """Push one write-back (OutboxCommand) to its engine."""
    return send(PUSH_OUTBOX, command_id, countdown=countdown)


def poll_source_now(source_id: int) -> bool:
    """ "Sync now": poll a source at once, outside its schedule and its backoff."""
    return send(POLL_SOURCE, source_id, True)
