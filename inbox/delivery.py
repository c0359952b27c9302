"""Where a task's write-backs stand: the denormalised ``UserTask.delivery`` flag and its reading.

``refresh_task_delivery`` recomputes the flag from the task's OutboxCommands; call it in the
same transaction that changed one of them (one UPDATE that works the flag out in the database;
it takes no row lock of its own: the caller holds the task's or the command's lock). Lists read
the flag column, so marking undelivered rows costs nothing per row.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.db.models.sql import UpdateQuery

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


def _flag_expression():
    """The flag in SQL, over the task's own commands (``OuterRef("pk")``): the first of
    ``FLAG_ORDER`` any of them is in, else empty (pending covers pending and retrying)."""
    commands = OutboxCommand.objects.filter(task_id=OuterRef("pk"))
    return Case(
        When(Exists(commands.filter(status=Status.CONFLICT)), then=Value(Status.CONFLICT)),
        When(Exists(commands.filter(status=Status.FAILED)), then=Value(Status.FAILED)),
        When(Exists(commands.filter(status__in=OutboxCommand.OPEN)), then=Value(Status.PENDING)),
        default=Value(""),
        output_field=CharField(),
    )


def refresh_task_delivery(task_id) -> str | None:
    """Recompute and store the task's delivery flag: one ``UPDATE ... RETURNING`` that works the
    flag out from the task's commands in the database and writes only when it changed. Returns
    the new flag, or None when it did not change (or there is no task)."""
    if task_id is None:
        return None
    flag = _flag_expression()
    rows = UserTask.objects.filter(pk=task_id).exclude(delivery=flag)
    update = rows.query.chain(UpdateQuery)
    update.add_update_values({"delivery": flag})
    sql, params = update.get_compiler(rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"{sql} RETURNING delivery", params)  # PostgreSQL and SQLite 3.35+
        row = cursor.fetchone()
    return None if row is None else row[0]


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
