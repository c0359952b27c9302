"""Shared steps of every lifecycle operation: lock, checks, version bump, events, outbox."""

import uuid
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.compiled import CompiledRead, prepared_cursor
from inbox import bulk, dispatch
from inbox.chained import insert_after, update_returning
from inbox.delivery import add_task_command, flag_with_new_command
from inbox.errors import (
    AssignmentError,
    Forbidden,
    NotFound,
    TaskStateError,
    Unsupported,
    VersionMismatch,
)
from inbox.fields import validate_results
from inbox.models import (
    LOCAL_SOURCE_NAME,
    OutboxCommand,
    Source,
    TaskEvent,
    TaskStatus,
    UserTask,
)
from inbox.parsing import is_ascii_int
from inbox.queries import can_see_task
from inbox.sync.registry import capabilities
from notifications.record import (
    mark_recorded,
    record_event_ids,
    recorded_insert_after,
    save_and_record,
)

Kind = TaskEvent.Kind
COMMENT_MAX_LENGTH = 10_000


def task_pk(task_id: Any) -> uuid.UUID:
    try:
        return task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound("No such task") from None


def lock_task(task_id: Any, user: User | None) -> UserTask:
    """Lock and return the task, or NotFound when it is absent or invisible to ``user``."""
    pk = task_pk(task_id)
    # Only the immutable source is joined: PostgreSQL re-reads a row that was locked by a
    # concurrent writer, but not the rows joined to it, so a joined assignee could be stale.
    task = (
        UserTask.objects.select_for_update(of=("self",))
        .select_related("source")
        .filter(pk=pk)
        .first()
    )
    if task is None or (user is not None and not can_see_task(user, task)):
        raise NotFound("No such task")
    return task


# Compiled once per process (config.compiled): the same SELECT, without rebuilding it per claim
# (``claim_first`` reads the claimed row with it, from its UPDATE's RETURNING).
TASK_READ = CompiledRead(
    lambda pk: UserTask.objects.select_related("source", "group", "case").filter(pk=pk),
    keys=(uuid.UUID(int=1), uuid.UUID(int=2)),
    key_field=UserTask._meta.pk,
)


def read_task(task_id: Any, user: User | None) -> UserTask:
    """The task WITHOUT a lock, with its source, group and case, or NotFound (absent or
    invisible to ``user``): the first step of an optimistic change. Its checks run on what was
    read, and ``change_if_unchanged`` (or ``save_change_if_unchanged``) then applies the change
    only while the row is still at the version read; when it is not, the caller starts over
    under ``lock_task``. What it read (with the change applied) is what a claim answers with."""
    pk = task_pk(task_id)
    if user is not None and user.pk is not None and not user.has_permission_facts:
        # the caller's permission facts (admin flag, group ids), read in the same round trip:
        # the visibility check and the lifecycle's checks need them
        task, rows = TASK_READ.first_along(pk, *user.permission_facts_query())
        user.take_permission_facts(rows)
    else:
        task = TASK_READ.first(pk)
    if task is None or (user is not None and not can_see_task(user, task)):
        raise NotFound("No such task")
    return task


def check_supported(task: UserTask, action: str) -> None:
    """Refuse an action the task's engine cannot carry out (``Unsupported``), before anything
    changes: no row, event or outbox command is written. Called right after ``lock_task``."""
    caps = capabilities(task.source.kind)
    if not caps.supports_task(action):
        raise Unsupported(caps.refusal(action))


def check_version(task: UserTask, expected_version: int | None) -> None:
    if expected_version is not None and task.version != expected_version:
        raise VersionMismatch(
            f"The task changed meanwhile: it is at version {task.version}, "
            f"not {expected_version}. Reload it and try again."
        )


def check_open(task: UserTask) -> None:
    if task.is_terminal:
        raise TaskStateError(f"The task is {task.status} and can no longer change.")


def check_admin(user: User) -> None:
    if not user.is_inbox_admin:
        raise Forbidden("Only inbox admins may do this.")


def append_event(task: UserTask, kind: str, *, actor=None, source=None, **data) -> TaskEvent:
    event = TaskEvent(
        task=task,
        kind=kind,
        actor=actor,
        actor_source=source,
        data=data,
        created_at=task.updated_at,
    )
    save_and_record(event)  # with its notifications outbox row, in one statement on PostgreSQL
    return event


def append_event_rows(rows: list[dict]) -> list:
    """Bulk-append events given as ``{attname: value}`` rows, all with the same keys (the
    importer's first sight of many tasks, the escalation scanner's set-based firings: no model
    instances); returns their ids."""
    ids = bulk.insert_rows(TaskEvent, rows)  # COPY on PostgreSQL
    record_event_ids(task_event_ids=ids)  # notifications hook: one bulk outbox INSERT
    return ids


def save_change(task: UserTask, *fields: str) -> None:
    task.version += 1
    task.updated_at = timezone.now()
    task.save(update_fields=[*fields, "version", "updated_at"])


def save_change_if_unchanged(task: UserTask, *fields: str) -> bool:
    """Compare and set: one ``UPDATE ... WHERE id = %s AND version = <version read>`` writing
    ``fields`` and bumping the version. False (nothing written, ``task`` untouched) when another
    change got in first; of several racing callers that read the same version exactly one wins,
    because the UPDATE takes the row lock and the losers re-check the version after it."""
    seen, now = task.version, timezone.now()
    changed = UserTask.objects.filter(pk=task.pk, version=seen).update(
        **{field: getattr(task, field) for field in fields}, version=seen + 1, updated_at=now
    )
    if changed:
        task.version, task.updated_at = seen + 1, now
    return bool(changed)


def user_ref(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username}


def group_ref(group: Group | None) -> dict | None:
    return None if group is None else {"id": group.pk, "name": group.name}


def assignment_data(task: UserTask, old_user, old_group) -> dict:
    return {
        "old_user": user_ref(old_user),
        "old_group": group_ref(old_group),
        "new_user": user_ref(task.assignee),
        "new_group": group_ref(task.group),
    }


def write_back_command(
    task: UserTask, action: str, *, requested_by: User | None, **payload
) -> OutboxCommand | None:
    """The unsaved write-back of ``action`` when an engine owns the task (None: a local task)."""
    if task.source.is_local:
        return None
    return OutboxCommand(
        source=task.source,
        task=task,
        case_id=task.case_id,
        action=action,
        requested_by=requested_by,
        payload={"external_id": task.external_id, "wf_run_id": task.wf_run_id, **payload},
    )


def queue_write_back(task: UserTask, action: str, *, requested_by: User | None, **payload) -> None:
    """Queue a write-back when an engine owns the task; pushed after the commit."""
    command = write_back_command(task, action, requested_by=requested_by, **payload)
    if command is None:
        return
    flag = add_task_command(command)  # with the task's delivery flag, in one statement
    if flag is not None:
        task.delivery = flag
    schedule_outbox_push(command.pk)


def change_if_unchanged(
    task: UserTask, fields: tuple[str, ...], event: TaskEvent, command: OutboxCommand | None
) -> bool:
    """``save_change_if_unchanged`` with everything that follows the change: the event with its
    notification record (``append_event``) and, for an engine's task, the write-back with the
    delivery flag and its push after the commit (``queue_write_back``). ``event`` and
    ``command`` are unsaved; the event's time is set to the change's.

    On PostgreSQL it is ONE statement: ``WITH u AS (UPDATE ... WHERE id = %s AND version =
    <version read> RETURNING delivery)``, then the INSERTs of the event, its outbox row and the
    command, each ``SELECT ... FROM u``: they write only when the UPDATE did. The UPDATE also
    sets the delivery flag (``flag_with_new_command``), as the command's own statement would.
    False: nothing was written and ``task`` is untouched (another change got in first: the
    caller starts over under ``lock_task``). Elsewhere the same steps run one after another in
    a transaction. In the caller's transaction if there is one; outside any, the statement
    commits on its own (the pushes it asks for then go out at once). No lock beyond the
    UPDATE's row lock."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        with transaction.atomic():
            if not save_change_if_unchanged(task, *fields):
                return False
            event.created_at = task.updated_at
            save_and_record(event)
            if command is not None:
                flag = add_task_command(command)
                if flag is not None:
                    task.delivery = flag
                schedule_outbox_push(command.pk)
        return True
    seen, now = task.version, timezone.now()
    values = {field: getattr(task, field) for field in fields}
    values.update(version=seen + 1, updated_at=now)
    raw = {"delivery": flag_with_new_command(connection.alias)} if command is not None else None
    update_sql, params = update_returning(
        UserTask,
        {"pk": task.pk, "version": seen},
        values,
        "delivery",
        raw=raw,
        alias=connection.alias,
    )
    event.created_at = now
    event_parts, event_params = recorded_insert_after(event, "u")
    sql = f"WITH u AS ({update_sql}), {event_parts}"
    params += event_params
    if command is not None:
        command_sql, command_params = insert_after(command, "u", alias=connection.alias)
        sql += f", c AS ({command_sql}) SELECT (SELECT delivery FROM u), "
        sql += "(SELECT id FROM e), (SELECT id FROM c)"
        params += command_params
    else:
        sql += " SELECT (SELECT delivery FROM u), (SELECT id FROM e), NULL"
    with prepared_cursor(connection) as cursor:  # its SQL text is the same on every claim
        cursor.execute(sql, params)
        delivery, event_id, command_id = cursor.fetchone()
    if event_id is None:
        return False
    task.version, task.updated_at, task.delivery = seen + 1, now, delivery
    mark_recorded(event, event_id)
    if command is not None:
        command.pk = command_id
        command._state.adding, command._state.db = False, connection.alias
        schedule_outbox_push(command_id)
    return True


def schedule_outbox_push(command_id: int) -> None:
    """After the current transaction commits, ask a worker to push the command."""
    transaction.on_commit(lambda: dispatch.push_outbox(command_id))


def resolve_user(value: User | str | int | None) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        user = value
    else:
        lookup = User.objects.filter(username=str(value))
        if is_ascii_int(value):  # not str.isdigit(): "²" passes that but not int()
            lookup = User.objects.filter(pk=int(value)) | lookup
        user = lookup.first()
        if user is None:
            raise AssignmentError(f"Unknown user {value!r}.", fields={"user": ["Unknown user."]})
    if not user.is_active:
        raise AssignmentError(
            f"User {user.username!r} is inactive.", fields={"user": ["Inactive user."]}
        )
    return user


def resolve_group(value: Group | str | int | None) -> Group | None:
    if value is None or value == "":
        return None
    if isinstance(value, Group):
        return value
    lookup = Group.objects.filter(name=str(value))
    if is_ascii_int(value):
        lookup = Group.objects.filter(pk=int(value)) | lookup
    group = lookup.first()
    if group is None:
        raise AssignmentError(f"Unknown group {value!r}.", fields={"group": ["Unknown group."]})
    return group


def local_source() -> Source:
    source, _ = Source.objects.get_or_create(
        name=LOCAL_SOURCE_NAME, defaults={"kind": Source.Kind.LOCAL, "poll_interval": 0}
    )
    return source


def finish_done(task: UserTask, *, actor: User, results, reason: str) -> UserTask:
    task.results = validate_results(task.fields, results)
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    save_change(task, "status", "results", "completed_at")
    data = {"results": task.results}
    if reason:
        data["reason"] = reason
    append_event(task, Kind.COMPLETED, actor=actor, **data)
    queue_write_back(
        task,
        OutboxCommand.Action.COMPLETE,
        requested_by=actor,
        results=task.results,
        user=actor.username,
        email=actor.email,
    )
    return task


def finish_cancelled(task: UserTask, *, actor: User, message: str) -> UserTask:
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    save_change(task, "status", "completed_at")
    append_event(task, Kind.CANCELLED, actor=actor, message=message)
    queue_write_back(task, OutboxCommand.Action.CANCEL, requested_by=actor, message=message)
    return task
