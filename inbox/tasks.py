"""Celery tasks, kept thin: fetch, call a service, retry.

``enqueue_*`` helpers (from ``inbox.dispatch``) are what web code calls; they never fail the
caller's request when the broker is down (the sweeper re-queues what was missed).
"""

import logging

from celery import shared_task
from django.conf import settings

from inbox import dispatch

log = logging.getLogger(__name__)


# What web code and commands call; kept here under their old names for callers above the floor.
enqueue_outbox_push = dispatch.push_outbox
enqueue_source_poll = dispatch.poll_source_now


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


@shared_task
def return_absent_tasks() -> int:
    """Out of office: give back the tasks of users whose absence started and asked for it."""
    from inbox.lifecycle import tasks_return_for_absences

    return tasks_return_for_absences()
