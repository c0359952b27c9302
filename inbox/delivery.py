"""Where a task's write-backs stand: the denormalised ``UserTask.delivery`` flag and its reading.

``refresh_task_delivery`` recomputes the flag from the task's OutboxCommands; call it in the
same transaction that changed one of them (it issues one aggregate query and one UPDATE, and
takes no row lock of its own: the caller holds the task's or the command's lock). Lists read
the flag column, so marking undelivered rows costs nothing per row.
"""

from __future__ import annotations

from django.db.models import Q

from inbox.models import OutboxCommand, UserTask

Status = OutboxCommand.Status

# The flag, most urgent first: a person must act on a conflict or a failure; pending means the
# decision is on its way (first attempt or retrying).
FLAG_ORDER = (Status.CONFLICT, Status.FAILED, Status.PENDING)
FLAG_LABELS = {
    "": "",
    Status.CONFLICT: "Engine disagrees",
    Status.FAILED: "Not delivered",
    Status.PENDING: "On its way to the engine",
}


def delivery_flag(statuses: set[str]) -> str:
    if Status.CONFLICT in statuses:
        return Status.CONFLICT
    if Status.FAILED in statuses:
        return Status.FAILED
    if statuses & set(OutboxCommand.OPEN):
        return Status.PENDING
    return ""


def refresh_task_delivery(task_id) -> str:
    """Recompute and store the task's delivery flag; returns it."""
    if task_id is None:
        return ""
    statuses = set(
        OutboxCommand.objects.filter(task_id=task_id)
        .filter(Q(status__in=OutboxCommand.OPEN) | Q(status__in=OutboxCommand.STUCK))
        .values_list("status", flat=True)
        .distinct()
    )
    flag = delivery_flag(statuses)
    UserTask.objects.filter(pk=task_id).exclude(delivery=flag).update(delivery=flag)
    return flag


def task_write_backs(task: UserTask) -> list[OutboxCommand]:
    """The task's write-backs, oldest first (a handful per task: one query)."""
    return list(task.outbox.select_related("requested_by", "resolved_by").order_by("id"))


def describe(command: OutboxCommand) -> str:
    """One sentence on where a write-back stands, for the task page and the API."""
    status = command.status
    if status == Status.PENDING:
        return "On its way to the engine."
    if status == Status.RETRYING:
        when = command.next_attempt_at.isoformat(timespec="seconds")
        return f"Retrying (attempt {command.attempts + 1} at {when}): {command.last_error}"
    if status == Status.DELIVERED:
        how = " (confirmed from the engine's state)" if command.reconciled else ""
        when = command.delivered_at.isoformat(timespec="seconds") if command.delivered_at else ""
        return f"Delivered {when}{how}.".replace("  ", " ")
    if status == Status.FAILED:
        return f"Failed: {command.last_error}"
    if status == Status.CONFLICT:
        return f"Conflict: {command.conflict_detail}"
    return f"Resolved: {command.conflict_detail or 'the engine’s state was taken.'}"


def outbox_commands(*, source_id=None, status: str | None = None, before_id=None, limit: int = 50):
    """Admins' Outbox list, newest first, keyset-paged on id (``before_id``); ``status`` is one
    state or ``stuck`` (failed + conflict, the default view) or ``open`` (pending + retrying)."""
    rows = OutboxCommand.objects.select_related("source", "task", "case", "requested_by")
    if source_id:
        rows = rows.filter(source_id=source_id)
    if status == "stuck":
        rows = rows.filter(status__in=OutboxCommand.STUCK)
    elif status == "open":
        rows = rows.filter(status__in=OutboxCommand.OPEN)
    elif status:
        rows = rows.filter(status=status)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    return list(rows.order_by("-id")[: limit + 1])
