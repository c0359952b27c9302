"""Pushing write-backs to the engines, exactly once as the engine sees it.

One attempt runs in three steps:

1. *Claim* (one short transaction): the command row is locked with ``SKIP LOCKED`` (a second
   worker given the same command moves on), checked to be open, due and first in line for its
   task (a command waits while an older one for the same task is still open), then marked
   ``unconfirmed`` with ``next_attempt_at`` pushed out by a lease (``OUTBOX_LEASE_SECONDS``) and
   committed. From here on, whoever picks the command up next, after this worker answered or
   died, knows that a request may have reached the engine.
2. *Attempt* (no transaction, no lock held): when the command is ``unconfirmed``, the engine's
   state is read first (``inbox.sync.reconcile``): already applied -> delivered (reconciled); a
   different decision made elsewhere -> conflict; only otherwise is it sent. A refusal from the
   engine is read against its state too: "already so" is a delivery, not a failure.
3. *Record* (one transaction): the row is locked again and, if this attempt still owns it (same
   ``attempts``), its outcome stored: delivered / conflict / failed, or retrying with
   exponential backoff (``unconfirmed`` stays set when the answer was unclear). The task's
   delivery flag and history follow in the same transaction.

The sweeper re-queues open commands that are due (including those whose lease ran out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from inbox import dispatch, lifecycle
from inbox.delivery import refresh_task_delivery
from inbox.models import OutboxCommand
from inbox.secrets import redact_text, source_secrets
from inbox.sync.base import ConnectorError, UnsupportedAction
from inbox.sync.reconcile import APPLIED, CONFLICT, observe
from inbox.sync.registry import connector_for

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
MAX_DELAY = timedelta(minutes=30)
Status = OutboxCommand.Status


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    base = settings.OUTBOX_RETRY_BASE_MS / 1000
    delay = timedelta(seconds=base * 2 ** min(max(attempts - 1, 0), 11))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, MAX_DELAY)


@dataclass
class Outcome:
    kind: str  # delivered, conflict, failed, retry
    error: str = ""
    detail: str = ""
    reconciled: bool = False
    retry_after: float | None = None


def push_command(command_id: int) -> str:
    """Push one command if it is due and first in line; returns what happened: ``delivered``,
    ``conflict``, ``failed``, ``retry``, or why nothing was tried (``skipped``, ``not-due``,
    ``waiting``, ``superseded``)."""
    claimed = _claim(command_id)
    if isinstance(claimed, str):
        return claimed
    command, payload, uncertain = claimed
    outcome = _attempt(command, payload, uncertain)
    recorded = _record(command, outcome)
    if recorded in ("failed", "conflict") and command.task_id:
        refresh_task(command)
    if recorded in ("delivered", "failed", "conflict") and command.task_id:
        _enqueue_next(command.task_id)
    return recorded


def _claim(command_id: int):
    with transaction.atomic():
        command = (
            OutboxCommand.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source", "case", "task")
            .filter(pk=command_id, status__in=OutboxCommand.OPEN)
            .first()
        )
        if command is None:
            return "skipped"
        if command.next_attempt_at > timezone.now():
            return "not-due"
        if (
            command.task_id
            and OutboxCommand.objects.filter(
                task_id=command.task_id, status__in=OutboxCommand.OPEN, id__lt=command.pk
            ).exists()
        ):
            return "waiting"
        uncertain = command.unconfirmed
        command.unconfirmed = True
        command.attempts += 1
        command.next_attempt_at = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        command.save(update_fields=["unconfirmed", "attempts", "next_attempt_at"])
    payload = dict(command.payload)
    if command.task_id:
        payload["context"] = command.task.context
    if command.case_id:
        payload["process_key"] = command.case.process_key
    return command, payload, uncertain


def _attempt(command: OutboxCommand, payload: dict, uncertain: bool) -> Outcome:
    """Talk to the engine (no transaction is open, no row lock is held)."""
    try:
        with connector_for(command.source) as connector:
            if uncertain:
                seen = observe(connector, command.action, payload)
                if seen.state == APPLIED:
                    return Outcome("delivered", reconciled=True)
                if seen.state == CONFLICT:
                    return Outcome("conflict", detail=seen.detail)
            try:
                connector.push(
                    command.action, payload, idempotency_key=str(command.idempotency_key)
                )
            except UnsupportedAction as exc:
                return Outcome("failed", error=str(exc))
            except ConnectorError as exc:
                if not exc.permanent:
                    return Outcome("retry", error=str(exc), retry_after=exc.retry_after)
                # A refusal: is it "already so", or a different decision made elsewhere?
                seen = observe(connector, command.action, payload)
                if seen.state == APPLIED:
                    return Outcome("delivered", reconciled=True, error=str(exc))
                if seen.state == CONFLICT:
                    return Outcome("conflict", detail=seen.detail, error=str(exc))
                return Outcome("failed", error=str(exc))
            return Outcome("delivered")
    except ConnectorError as exc:  # the engine's state could not be read: try again later
        return Outcome("retry", error=str(exc), retry_after=exc.retry_after)
    except Exception as exc:  # a bug or an unexpected answer: retried, failed after MAX_ATTEMPTS
        log.exception("write-back %s: unexpected error", command.pk)
        return Outcome("retry", error=f"Unexpected error: {exc.__class__.__name__}: {exc}")


def _record(command: OutboxCommand, outcome: Outcome) -> str:
    with transaction.atomic():
        row = (
            OutboxCommand.objects.select_for_update(of=("self",))
            .select_related("source")
            .filter(pk=command.pk)
            .first()
        )
        if row is None or row.attempts != command.attempts or row.status not in OutboxCommand.OPEN:
            return "superseded"  # the lease ran out and another attempt took over
        now = timezone.now()
        kind = outcome.kind
        if kind == "retry" and row.attempts >= MAX_ATTEMPTS:
            kind = "failed"
        fields = ["status", "unconfirmed", "last_error", "next_attempt_at"]
        # Engines echo URLs and tokens in their errors: never store or show them.
        error = redact_text(outcome.error, source_secrets(row.source))
        row.last_error = error[:2000]
        row.next_attempt_at = now
        if kind == "delivered":
            row.status, row.unconfirmed = Status.DELIVERED, False
            row.delivered_at, row.reconciled = now, outcome.reconciled
            fields += ["delivered_at", "reconciled"]
        elif kind == "conflict":
            row.status, row.unconfirmed = Status.CONFLICT, False
            row.conflict_detail = outcome.detail[:2000]
            fields.append("conflict_detail")
            lifecycle.task_record_writeback_outcome(
                command=row, outcome="conflict", detail=outcome.detail
            )
        elif kind == "failed":
            row.status, row.unconfirmed = Status.FAILED, False
            lifecycle.task_record_writeback_failure(command=row, error=error)
        else:
            delay = retry_delay(row.attempts, outcome.retry_after)
            row.status = Status.RETRYING
            row.next_attempt_at = now + delay
            transaction.on_commit(
                lambda: dispatch.push_outbox(row.pk, countdown=delay.total_seconds())
            )
        row.save(update_fields=fields)
        refresh_task_delivery(row.task_id)
    return kind


def _enqueue_next(task_id) -> None:
    following = (
        OutboxCommand.objects.filter(task_id=task_id, status__in=OutboxCommand.OPEN)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following:
        dispatch.push_outbox(following)


def refresh_task(command: OutboxCommand) -> None:
    """After a refusal or a conflict, take the engine's word for the task's open state."""
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
    """Re-queue open commands that have been due for at least ``stale_after`` and are first in
    line for their task (their message was lost, or their worker died and the lease ran out).
    Commands waiting behind an older one are queued when it settles."""
    now = timezone.now()
    older_open = OutboxCommand.objects.filter(
        task_id=OuterRef("task_id"), status__in=OutboxCommand.OPEN, id__lt=OuterRef("id")
    )
    due = (
        OutboxCommand.objects.filter(
            status__in=OutboxCommand.OPEN,
            next_attempt_at__lte=now - stale_after,  # due a while ago, yet still open
            created_at__lte=now - stale_after,
        )
        .exclude(Exists(older_open))  # only the first in line per task: the rest follow it
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    count = 0
    for pk in due:
        count += dispatch.push_outbox(pk)
    return count
