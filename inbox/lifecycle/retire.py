"""Retire a source's open tasks: they end here as CANCELLED, nothing is written back to the
engine (the source is being disabled or deleted; the engine keeps its own state).

Each task gets a CANCELLED event by the acting admin whose message says why, with
``retired_source`` naming the source; pending write-backs of the source are settled as failed
("source retired") so no push goes out later.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.delivery import refresh_task_delivery
from inbox.lifecycle.core import Kind, append_event, save_change
from inbox.models import OPEN_STATUSES, OutboxCommand, Source, TaskStatus, UserTask

BATCH = 500


def open_task_count(source: Source) -> int:
    return UserTask.objects.filter(source=source, status__in=OPEN_STATUSES).count()


@transaction.atomic
def tasks_retire_for_source(*, source: Source, actor: User, reason: str) -> int:
    """End every open task of ``source`` as CANCELLED with an event by ``actor`` saying
    ``reason``; settle the source's pending outbox commands. Returns how many tasks ended.

    One transaction; task rows are locked (``FOR UPDATE``, in id batches) before they change,
    so a concurrent claim or complete either finishes first (and the task is skipped) or waits.
    """
    now = timezone.now()
    retired = 0
    last_id = None
    while True:
        batch = UserTask.objects.filter(source=source, status__in=OPEN_STATUSES)
        if last_id is not None:
            batch = batch.filter(pk__gt=last_id)
        tasks = list(batch.select_for_update(of=("self",)).order_by("pk")[:BATCH])
        if not tasks:
            break
        last_id = tasks[-1].pk
        for task in tasks:
            task.status = TaskStatus.CANCELLED
            task.completed_at = now
            save_change(task, "status", "completed_at")
            append_event(
                task,
                Kind.CANCELLED,
                actor=actor,
                message=reason,
                retired_source=source.name,
            )
            retired += 1
    # Write-backs still on their way are moot: nothing is sent for a retired source. They end
    # resolved (not failed), so no task shows a decision "not reached the engine" for ever.
    settled = list(
        OutboxCommand.objects.filter(source=source, status__in=OutboxCommand.OPEN)
        .exclude(task_id=None)
        .values_list("task_id", flat=True)
        .distinct()
    )
    OutboxCommand.objects.filter(source=source, status__in=OutboxCommand.OPEN).update(
        status=OutboxCommand.Status.RESOLVED,
        unconfirmed=False,
        resolved_at=now,
        conflict_detail=f"Not sent: source {source.name} was retired.",
    )
    for task_id in settled:
        refresh_task_delivery(task_id)
    return retired
