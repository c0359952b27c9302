"""Celery tasks, kept thin: fetch, call a service, retry.

``enqueue_*`` helpers (from ``inbox.dispatch``) are what web code calls; they never fail the
caller's request when the broker is down (the sweeper re-queues what was missed).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
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
    soft_time_limit=settings.SYNC_PUSH_SOFT_TIME_LIMIT,
    time_limit=settings.SYNC_PUSH_TIME_LIMIT,
)
def push_outbox_commands(command_ids: list[int]) -> None:
    """Several write-backs named by one message (a web process's publisher gathers the pushes
    of one moment into one message: ``inbox.dispatch``), pushed one after another in the order
    given; each push is the same as ``push_outbox_command``'s, exactly once as the engine sees
    it. One that fails is logged and left to its retry or the sweeper, and the others still go;
    when the time limit comes, the commands not started yet are queued again."""
    from inbox.sync.outbox import push_command

    for index, command_id in enumerate(command_ids):
        try:
            push_command(command_id)
        except SoftTimeLimitExceeded:
            if command_ids[index + 1 :]:
                dispatch.push_outbox_many(command_ids[index + 1 :])
            raise
        except Exception:
            log.exception("write-back %s: the push failed; the sweeper will retry", command_id)


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
