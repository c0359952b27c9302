"""Where a task's write-backs stand: the denormalised ``UserTask.delivery`` flag and its reading.

``refresh_task_delivery`` recomputes the flag from the task's OutboxCommands; call it in the
same transaction that changed one of them (one UPDATE that works the flag out in the database;
it takes no row lock of its own: the caller holds the task's or the command's lock). Lists read
the flag column, so marking undelivered rows costs nothing per row.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from django.db import connections, router
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.db.models.sql import InsertQuery, UpdateQuery

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


def _flag_expression(*, adding_open: bool = False):
    """The flag in SQL, over the task's own commands (``OuterRef("pk")``): the first of
    ``FLAG_ORDER`` any of them is in, else empty (pending covers pending and retrying).
    ``adding_open``: for the statement that also inserts an open command, which that statement
    cannot see yet, so the flag is at least pending."""
    commands = OutboxCommand.objects.filter(task_id=OuterRef("pk"))
    whens = [
        When(Exists(commands.filter(status=Status.CONFLICT)), then=Value(Status.CONFLICT)),
        When(Exists(commands.filter(status=Status.FAILED)), then=Value(Status.FAILED)),
    ]
    if adding_open:
        return Case(*whens, default=Value(Status.PENDING), output_field=CharField())
    whens.append(
        When(Exists(commands.filter(status__in=OutboxCommand.OPEN)), then=Value(Status.PENDING))
    )
    return Case(*whens, default=Value(""), output_field=CharField())


@lru_cache(maxsize=4)
def flag_with_new_command(alias: str) -> tuple[str, tuple]:
    """The flag as compiled SQL (and its parameters) over the commands of the row being
    updated (``"inbox_usertask"."id"``), for an UPDATE of the task in the statement that also
    inserts an open command for it (which that statement cannot see): conflict or failed when
    an older command is, else pending. Compiled once per process and database."""
    query = UpdateQuery(UserTask)
    flag = _flag_expression(adding_open=True).resolve_expression(query, for_save=True)
    sql, params = query.get_compiler(using=alias).compile(flag)
    return sql, tuple(params)


def _compile_flag_update(task_id, adding_open: bool) -> tuple[str, tuple, str]:
    flag = _flag_expression(adding_open=adding_open)
    rows = UserTask.objects.filter(pk=task_id).exclude(delivery=flag)
    update = rows.query.chain(UpdateQuery)
    update.add_update_values({"delivery": flag})
    sql, params = update.get_compiler(rows.db).as_sql()
    return f"{sql} RETURNING delivery", tuple(params), rows.db  # PostgreSQL, SQLite 3.35+


_SENTINELS = (uuid.UUID(int=1), uuid.UUID(int=2))


@lru_cache(maxsize=4)
def _flag_statement(adding_open: bool) -> tuple[str, tuple, tuple[int, ...], str]:
    """The flag UPDATE compiled once (it only differs by task id): its SQL, parameters, the
    positions of the task id among them (found by compiling for two ids) and the alias."""
    sql, params, alias = _compile_flag_update(_SENTINELS[0], adding_open)
    other_sql, other_params, _ = _compile_flag_update(_SENTINELS[1], adding_open)
    slots = tuple(i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b)
    if sql != other_sql or not slots:
        raise RuntimeError("the delivery flag UPDATE does not depend on the task id alone")
    return sql, params, slots, alias


def _flag_update(task_id, *, adding_open: bool = False) -> tuple[str, tuple, str]:
    """``UPDATE ... SET delivery = <flag> WHERE id = <task> AND delivery <> <flag>
    RETURNING delivery``: its SQL, parameters and database alias (compiled once per process,
    the task id filled in per call)."""
    sql, params, slots, alias = _flag_statement(adding_open)
    value = UserTask._meta.pk.get_db_prep_value(task_id, connections[alias])
    params = list(params)
    for slot in slots:
        params[slot] = value
    return sql, tuple(params), alias


def refresh_task_delivery(task_id) -> str | None:
    """Recompute and store the task's delivery flag: one ``UPDATE ... RETURNING`` that works the
    flag out from the task's commands in the database and writes only when it changed. Returns
    the new flag, or None when it did not change (or there is no task)."""
    if task_id is None:
        return None
    sql, params, alias = _flag_update(task_id)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def add_task_command(command: OutboxCommand) -> str | None:
    """Insert a new open command for its task and refresh the task's flag, as ``save()`` then
    ``refresh_task_delivery`` would: on PostgreSQL in one statement (the insert in a ``WITH``,
    the flag's UPDATE beside it). Returns the new flag, or None when it did not change."""
    if command.status not in OutboxCommand.OPEN or command.task_id is None:
        raise ValueError("add_task_command takes a new open command of a task")
    connection = connections[router.db_for_write(OutboxCommand)]
    if connection.vendor != "postgresql":
        command.save()
        return refresh_task_delivery(command.task_id)
    meta = OutboxCommand._meta
    insert = InsertQuery(OutboxCommand)
    insert.insert_values([f for f in meta.concrete_fields if not f.primary_key], [command])
    compiler = insert.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(insert_sql, insert_params)] = compiler.as_sql()
    flag_sql, flag_params, _ = _flag_update(command.task_id, adding_open=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH c AS ({insert_sql}), f AS ({flag_sql}) "
            "SELECT (SELECT * FROM c), (SELECT delivery FROM f)",
            (*insert_params, *flag_params),
        )
        command.pk, flag = cursor.fetchone()
    command._state.adding, command._state.db = False, connection.alias
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
