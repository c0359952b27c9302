"""Celery tasks, kept thin: fetch, call a service, retry.

``enqueue_*`` helpers are what web code calls; they never fail the caller's request when the
broker is down (the sweeper re-queues what was missed).
"""

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


def _safe_delay(task, *args, countdown: float | None = None) -> bool:
    try:
        task.apply_async(args, countdown=countdown)
        return True
    except Exception:  # broker unreachable: the periodic sweeper picks the work up later
        log.warning(
            "could not enqueue %s%r; the sweeper will retry", task.name, args, exc_info=True
        )
        return False


def enqueue_outbox_push(command_id: int, *, countdown: float | None = None) -> bool:
    return _safe_delay(push_outbox_command, command_id, countdown=countdown)


def enqueue_source_poll(source_id: int) -> bool:
    """ "Sync now": poll a source at once, outside its schedule and its backoff."""
    return _safe_delay(poll_source, source_id, True)


# Time limits: the soft one raises inside the service (recorded as a failure like any other);
# the hard one kills a worker stuck where Python cannot interrupt it.
@shared_task(
    acks_late=True,
    soft_time_limit=settings.SYNC_PUSH_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_PUSH_TIME_LIMIT,
)
def push_outbox_command(command_id: int) -> None:
    from inbox.sync.outbox import push_command

    push_command(command_id)


@shared_task(
    acks_late=True,
    soft_time_limit=settings.SYNC_POLL_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_POLL_TIME_LIMIT,
)
def poll_source(source_id: int, force: bool = False) -> str:
    from inbox.sync.poller import poll

    return poll(source_id, force=force).status


@shared_task
def sweep_outbox() -> int:
    """Re-queue write-backs whose message was lost or whose worker died."""
    from inbox.sync.outbox import sweep

    return sweep()
