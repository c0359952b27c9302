"""Admins settle write-backs that did not reach the engine: retry them, or resolve them by
taking the engine's state. Each leaves an event in the task's history.

``outbox_retry`` runs in one transaction (locks the command row, then the task row through the
lifecycle) and schedules the push after commit; the next attempt reads the engine's state
before sending, so a retry never applies a command twice. ``outbox_resolve`` reads the engine
first (no transaction, no lock held), then locks the command, re-checks it is still stuck, and
adopts the engine's view of the task through the lifecycle in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox import lifecycle
from inbox.delivery import refresh_task_delivery
from inbox.errors import Forbidden, NotFound, TaskStateError, ValidationError
from inbox.models import OutboxCommand, TaskStatus
from inbox.parsing import is_ascii_int
from inbox.sync.base import ConnectorError
from inbox.sync.registry import connector_for

Status = OutboxCommand.Status


def _check_admin(actor: User) -> None:
    if not actor.is_inbox_admin:
        raise Forbidden("Only inbox admins may retry or resolve write-backs.")


def _lock_stuck(command_id) -> OutboxCommand:
    try:
        command = (
            OutboxCommand.objects.select_for_update(of=("self",))
            .select_related("source", "task")
            .get(pk=int(command_id))
        )
    except (OutboxCommand.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such write-back") from None
    if command.status not in OutboxCommand.STUCK:
        raise TaskStateError(
            f"This write-back is {command.get_status_display().lower()}; only failed or "
            "conflicting ones can be retried or resolved."
        )
    return command


@transaction.atomic
def outbox_retry(*, command_id, actor: User) -> OutboxCommand:
    """Admin: send a failed or conflicting write-back again (after reading the engine's state)."""
    _check_admin(actor)
    command = _lock_stuck(command_id)
    was = command.status
    command.status = Status.PENDING
    command.unconfirmed = True  # read the engine before sending: it may have it already
    command.attempts = 0
    command.next_attempt_at = timezone.now()
    command.save(update_fields=["status", "unconfirmed", "attempts", "next_attempt_at"])
    lifecycle.task_record_writeback_outcome(
        command=command, outcome="retried", actor=actor, detail=f"was {was}"
    )
    refresh_task_delivery(command.task_id)
    lifecycle.schedule_outbox_push(command.pk)
    return command


def outbox_resolve(*, command_id, actor: User, note: str = "") -> OutboxCommand:
    """Admin: give up on a failed or conflicting write-back and take the engine's state."""
    from inbox.sync.importer import Mapper

    _check_admin(actor)
    command = (
        OutboxCommand.objects.select_related("source", "task").filter(pk=command_id).first()
        if is_ascii_int(command_id)
        else None
    )
    if command is None:
        raise NotFound("No such write-back")
    record = None
    if command.task_id:
        try:
            with connector_for(command.source) as connector:
                record = connector.fetch_task(
                    command.payload["external_id"], command.task.wf_run_id
                )
        except ConnectorError as exc:
            raise ValidationError(
                f"The engine's state could not be read ({exc}); try again later.",
                fields={"command": [str(exc)]},
            ) from None
    with transaction.atomic():
        command = _lock_stuck(command.pk)
        if record is not None:
            mapper = Mapper(command.source)
            lifecycle.task_upstream_adopt(
                task_id=command.task_id,
                actor=actor,
                status=record.status,
                assignee=mapper.user(record.assignee),
                group=mapper.group(record.group),
                upstream_assignee=record.assignee or "",
                results=record.results,
            )
        elif command.task_id and not command.task.is_terminal:
            lifecycle.task_upstream_adopt(
                task_id=command.task_id,
                actor=actor,
                status=TaskStatus.CANCELLED,
                assignee=None,
                group=None,
            )
        command.status = Status.RESOLVED
        command.resolved_by, command.resolved_at = actor, timezone.now()
        detail = note.strip()[:500] or "The engine's state was taken."
        command.conflict_detail = (
            f"{command.conflict_detail} — {detail}" if command.conflict_detail else detail
        )
        command.save(update_fields=["status", "resolved_by", "resolved_at", "conflict_detail"])
        lifecycle.task_record_writeback_outcome(
            command=command, outcome="resolved", actor=actor, detail=detail
        )
        refresh_task_delivery(command.task_id)
    return command
