"""Pushing write-backs to the engines.

A command is pushed under a row lock (``SKIP LOCKED``: a second worker given the same command
moves on), in creation order per task: a command waits while an older one for the same task is
still pending. Transient failures back off exponentially and re-queue; a permanent refusal
marks the command failed, records it on the task's history and refreshes the task from the
engine. The sweeper re-queues due commands whose message was lost or whose worker died.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inbox import lifecycle
from inbox.models import OutboxCommand
from inbox.secrets import redact_text, source_secrets
from inbox.sync.base import ConnectorError
from inbox.sync.registry import connector_for

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
MAX_DELAY = timedelta(minutes=30)
Status = OutboxCommand.Status


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    delay = timedelta(seconds=2 ** min(attempts, 11))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, MAX_DELAY)


def push_command(command_id: int) -> str:
    """Push one command if it is due and first in line; returns what happened."""
    from inbox.tasks import enqueue_outbox_push

    with transaction.atomic():
        command = (
            OutboxCommand.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source", "case", "task")
            .filter(pk=command_id, status=Status.PENDING)
            .first()
        )
        if command is None:
            return "skipped"
        if command.next_attempt_at > timezone.now():
            return "not-due"
        if (
            command.task_id
            and OutboxCommand.objects.filter(
                task_id=command.task_id, status=Status.PENDING, id__lt=command.pk
            ).exists()
        ):
            return "waiting"
        payload = dict(command.payload)
        if command.task_id:
            payload["context"] = command.task.context
        if command.case_id:
            payload["process_key"] = command.case.process_key
        try:
            with connector_for(command.source) as connector:
                connector.push(
                    command.action, payload, idempotency_key=str(command.idempotency_key)
                )
        except ConnectorError as exc:
            command.attempts += 1
            error = redact_text(str(exc), source_secrets(command.source))
            command.last_error = error[:2000]
            if exc.permanent or command.attempts >= MAX_ATTEMPTS:
                command.status = Status.FAILED
                command.save(update_fields=["attempts", "last_error", "status"])
                lifecycle.task_record_writeback_failure(command=command, error=error)
                outcome = "failed"
            else:
                delay = retry_delay(command.attempts, exc.retry_after)
                command.next_attempt_at = timezone.now() + delay
                command.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                transaction.on_commit(
                    lambda: enqueue_outbox_push(command.pk, countdown=delay.total_seconds())
                )
                outcome = "retry"
        else:
            command.attempts += 1
            command.status = Status.SENT
            command.sent_at = timezone.now()
            command.last_error = ""
            command.save(update_fields=["attempts", "status", "sent_at", "last_error"])
            outcome = "sent"
    if outcome == "failed" and command.task_id:
        refresh_task(command)
    if outcome in ("sent", "failed") and command.task_id:
        following = (
            OutboxCommand.objects.filter(task_id=command.task_id, status=Status.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if following:
            enqueue_outbox_push(following)
    return outcome


def refresh_task(command: OutboxCommand) -> None:
    """After a refusal, take the engine's word for the task's state."""
    from inbox.sync.importer import Mapper, import_record

    source = command.source
    try:
        with connector_for(source) as connector:
            record = connector.fetch_task(command.payload["external_id"], command.task.wf_run_id)
    except ConnectorError:
        log.warning("could not refresh task %s after a refused write-back", command.task_id)
        return
    if record is not None:
        import_record(source, record, mapper=Mapper(source))


def sweep(*, stale_after: timedelta = timedelta(seconds=30)) -> int:
    """Re-queue pending commands that are due and were queued at least ``stale_after`` ago."""
    from inbox.tasks import enqueue_outbox_push

    now = timezone.now()
    due = OutboxCommand.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now, created_at__lte=now - stale_after
    ).values_list("pk", flat=True)[:1000]
    count = 0
    for pk in due:
        count += enqueue_outbox_push(pk)
    return count
