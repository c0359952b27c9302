"""The task state machine: the ONLY code that changes a task's status, assignee or group.

```
UNASSIGNED --claim (member of the task's group)------------> ASSIGNED (to the caller)
UNASSIGNED --assign (admin: user and/or group)-------------> ASSIGNED, or UNASSIGNED with a new group
ASSIGNED   --release (assignee)----------------------------> UNASSIGNED (stays in its group)
ASSIGNED   --assign (admin)--------------------------------> ASSIGNED to another user / UNASSIGNED
ASSIGNED   --complete (assignee, results valid)------------> DONE
UNASSIGNED|ASSIGNED --cancel (assignee; admin any)---------> CANCELLED
UNASSIGNED|ASSIGNED --admin complete (results valid)--------> DONE
DONE, CANCELLED: terminal. Any operation on them -> TaskStateError.
```

Rules every function here follows: keyword-only arguments; one transaction; the task row is
locked with ``SELECT ... FOR UPDATE`` before anything is checked; checks run in the order
visibility (NotFound) -> expected version (VersionMismatch) -> state (TaskStateError) ->
permission (Forbidden / AssignmentError); the row is changed and ``version`` bumped; TaskEvent
rows are appended; for tasks owned by an engine an OutboxCommand is written in the same
transaction and its push is scheduled with ``transaction.on_commit``.

Engine-driven changes (``task_upstream_*``) take the source as actor and write no outbox
command: the engine already knows.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.errors import (
    AssignmentError,
    Forbidden,
    NotFound,
    TaskStateError,
    ValidationError,
    VersionMismatch,
)
from inbox.fields import validate_field_definitions, validate_results
from inbox.models import (
    LOCAL_SOURCE_NAME,
    Comment,
    OutboxCommand,
    Source,
    TaskEvent,
    TaskStatus,
    UserTask,
)
from inbox.queries import can_see_task

Kind = TaskEvent.Kind
COMMENT_MAX_LENGTH = 10_000


# --- helpers -----------------------------------------------------------------------------------


def _lock_task(task_id: Any, user: User | None) -> UserTask:
    """Lock and return the task, or NotFound when it is absent or invisible to ``user``."""
    try:
        pk = task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound("No such task") from None
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


def _check_version(task: UserTask, expected_version: int | None) -> None:
    if expected_version is not None and task.version != expected_version:
        raise VersionMismatch(
            f"The task changed meanwhile: it is at version {task.version}, "
            f"not {expected_version}. Reload it and try again."
        )


def _check_open(task: UserTask) -> None:
    if task.is_terminal:
        raise TaskStateError(f"The task is {task.status} and can no longer change.")


def _check_admin(user: User) -> None:
    if not user.is_inbox_admin:
        raise Forbidden("Only inbox admins may do this.")


def _event(task: UserTask, kind: str, *, actor=None, source=None, **data) -> TaskEvent:
    return TaskEvent.objects.create(
        task=task,
        kind=kind,
        actor=actor,
        actor_source=source,
        data=data,
        created_at=task.updated_at,
    )


def _save(task: UserTask, *fields: str) -> None:
    task.version += 1
    task.updated_at = timezone.now()
    task.save(update_fields=[*fields, "version", "updated_at"])


def _user_ref(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username}


def _group_ref(group: Group | None) -> dict | None:
    return None if group is None else {"id": group.pk, "name": group.name}


def _assignment_data(task: UserTask, old_user, old_group) -> dict:
    return {
        "old_user": _user_ref(old_user),
        "old_group": _group_ref(old_group),
        "new_user": _user_ref(task.assignee),
        "new_group": _group_ref(task.group),
    }


def _outbox(task: UserTask, action: str, *, requested_by: User | None, **payload) -> None:
    """Queue a write-back when an engine owns the task; pushed after the commit."""
    if task.source.is_local:
        return
    command = OutboxCommand.objects.create(
        source=task.source,
        task=task,
        case_id=task.case_id,
        action=action,
        requested_by=requested_by,
        payload={"external_id": task.external_id, "wf_run_id": task.wf_run_id, **payload},
    )
    schedule_outbox_push(command.pk)


def schedule_outbox_push(command_id: int) -> None:
    """After the current transaction commits, ask a worker to push the command."""
    from inbox.tasks import enqueue_outbox_push

    transaction.on_commit(lambda: enqueue_outbox_push(command_id))


def _resolve_user(value: User | str | int | None) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        user = value
    else:
        lookup = User.objects.filter(username=str(value))
        if isinstance(value, int) or str(value).isdigit():
            lookup = User.objects.filter(pk=int(value)) | lookup
        user = lookup.first()
        if user is None:
            raise AssignmentError(f"Unknown user {value!r}.", fields={"user": ["Unknown user."]})
    if not user.is_active:
        raise AssignmentError(
            f"User {user.username!r} is inactive.", fields={"user": ["Inactive user."]}
        )
    return user


def _resolve_group(value: Group | str | int | None) -> Group | None:
    if value is None or value == "":
        return None
    if isinstance(value, Group):
        return value
    lookup = Group.objects.filter(name=str(value))
    if isinstance(value, int) or str(value).isdigit():
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


# --- staff operations ----------------------------------------------------------------------------


@transaction.atomic
def task_claim(*, task_id, user: User, expected_version: int | None = None) -> UserTask:
    """Claim an UNASSIGNED task of one of the caller's groups (admins: any unassigned task).

    Exactly one of many simultaneous claims wins; the others see AssignmentError.
    """
    task = _lock_task(task_id, user)
    _check_version(task, expected_version)
    _check_open(task)
    if task.status == TaskStatus.ASSIGNED:
        holder = "you" if task.assignee_id == user.pk else task.assignee.username
        raise AssignmentError(f"Already claimed by {holder}.")
    if not user.is_inbox_admin and task.group_id not in user.group_ids():
        raise AssignmentError("You are not a member of this task's group.")
    old_user, old_group = task.assignee, task.group
    task.status, task.assignee = TaskStatus.ASSIGNED, user
    _save(task, "status", "assignee")
    _event(task, Kind.ASSIGNED, actor=user, **_assignment_data(task, old_user, old_group))
    _outbox(
        task, OutboxCommand.Action.CLAIM, requested_by=user, user=user.username, email=user.email
    )
    return task


@transaction.atomic
def task_release(*, task_id, user: User, expected_version: int | None = None) -> UserTask:
    """Give an ASSIGNED task back to its group; only its assignee may."""
    task = _lock_task(task_id, user)
    _check_version(task, expected_version)
    _check_open(task)
    if task.status != TaskStatus.ASSIGNED:
        raise TaskStateError("The task is not assigned to anyone.")
    if task.assignee_id != user.pk:
        raise Forbidden("Only the assignee may release this task.")
    old_user, old_group = task.assignee, task.group
    task.status, task.assignee = TaskStatus.UNASSIGNED, None
    _save(task, "status", "assignee")
    _event(task, Kind.ASSIGNED, actor=user, **_assignment_data(task, old_user, old_group))
    _outbox(task, OutboxCommand.Action.RELEASE, requested_by=user)
    return task


@transaction.atomic
def task_complete(
    *, task_id, user: User, results: dict | None, expected_version: int | None = None
) -> UserTask:
    """Complete the caller's ASSIGNED task with results valid against its fields."""
    task = _lock_task(task_id, user)
    _check_version(task, expected_version)
    _check_open(task)
    if task.status != TaskStatus.ASSIGNED:
        raise TaskStateError("Claim the task before completing it.")
    if task.assignee_id != user.pk:
        raise Forbidden("Only the assignee may complete this task.")
    return _complete(task, actor=user, results=results, reason="")


@transaction.atomic
def task_cancel(
    *, task_id, user: User, message: str = "", expected_version: int | None = None
) -> UserTask:
    """Cancel a task: its assignee may; admins may cancel any open task."""
    task = _lock_task(task_id, user)
    _check_version(task, expected_version)
    _check_open(task)
    if not user.is_inbox_admin and task.assignee_id != user.pk:
        raise Forbidden("Only the assignee or an admin may cancel this task.")
    return _cancel(task, actor=user, message=message)


def _complete(task: UserTask, *, actor: User, results, reason: str) -> UserTask:
    task.results = validate_results(task.fields, results)
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    _save(task, "status", "results", "completed_at")
    data = {"results": task.results}
    if reason:
        data["reason"] = reason
    _event(task, Kind.COMPLETED, actor=actor, **data)
    _outbox(
        task,
        OutboxCommand.Action.COMPLETE,
        requested_by=actor,
        results=task.results,
        user=actor.username,
        email=actor.email,
    )
    return task


def _cancel(task: UserTask, *, actor: User, message: str) -> UserTask:
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    _save(task, "status", "completed_at")
    _event(task, Kind.CANCELLED, actor=actor, message=message)
    _outbox(task, OutboxCommand.Action.CANCEL, requested_by=actor, message=message)
    return task


# --- admin operations ----------------------------------------------------------------------------


@transaction.atomic
def task_assign(
    *,
    task_id,
    actor: User,
    user: User | str | int | None = None,
    group: Group | str | int | None = None,
    expected_version: int | None = None,
) -> UserTask:
    """Admin: assign to a user (ASSIGNED) and/or move to a group (UNASSIGNED when no user).

    At least one of ``user`` and ``group`` is required. Unknown names raise AssignmentError.
    """
    task = _lock_task(task_id, actor)
    _check_admin(actor)
    if user in (None, "") and group in (None, ""):
        raise ValidationError(
            "Name a user or a group to assign to.",
            fields={"user": ["Give a user or a group."], "group": ["Give a user or a group."]},
        )
    _check_version(task, expected_version)
    _check_open(task)
    new_user, new_group = _resolve_user(user), _resolve_group(group)
    old_user, old_group = task.assignee, task.group
    task.assignee = new_user
    if new_group is not None:
        task.group = new_group
    task.status = TaskStatus.ASSIGNED if new_user else TaskStatus.UNASSIGNED
    if (task.assignee_id, task.group_id) == (
        getattr(old_user, "pk", None),
        getattr(old_group, "pk", None),
    ):
        return task  # nothing changes: no version bump, no event, no write-back
    _save(task, "status", "assignee", "group")
    _event(task, Kind.ASSIGNED, actor=actor, **_assignment_data(task, old_user, old_group))
    _outbox(
        task,
        OutboxCommand.Action.ASSIGN,
        requested_by=actor,
        user=new_user.username if new_user else None,
        email=new_user.email if new_user else None,
        group=task.group.name if task.group else None,
    )
    return task


@transaction.atomic
def task_admin_complete(
    *,
    task_id,
    actor: User,
    results: dict | None,
    reason: str = "",
    expected_version: int | None = None,
) -> UserTask:
    """Admin override: complete any open task with valid results."""
    task = _lock_task(task_id, actor)
    _check_admin(actor)
    _check_version(task, expected_version)
    _check_open(task)
    return _complete(task, actor=actor, results=results, reason=reason)


@transaction.atomic
def task_admin_cancel(
    *, task_id, actor: User, message: str = "", expected_version: int | None = None
) -> UserTask:
    """Admin override: cancel any open task."""
    task = _lock_task(task_id, actor)
    _check_admin(actor)
    _check_version(task, expected_version)
    _check_open(task)
    return _cancel(task, actor=actor, message=message)


# --- creation ----------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    title: str,
    task_type: str,
    actor: User | None = None,
    source: Source | None = None,
    external_id: str | None = None,
    wf_run_id: str | None = None,
    group: Group | str | int | None = None,
    user: User | str | int | None = None,
    fields: Iterable[dict] | None = None,
    context: dict | None = None,
    description: str = "",
    priority: int = 0,
    due_at=None,
    case=None,
    created_at=None,
) -> UserTask:
    """Create a task: on the local source through the API (``actor`` must be an admin), or on an
    engine's source from the importer (``actor`` None). ASSIGNED when a user is given."""
    if actor is not None:
        _check_admin(actor)
    errors: dict[str, list[str]] = {}
    if not str(title or "").strip():
        errors["title"] = ["A title is required."]
    elif len(title) > 500:
        errors["title"] = ["At most 500 characters."]
    if not str(task_type or "").strip():
        errors["type"] = ["A task type is required."]
    if context is not None and not isinstance(context, dict):
        errors["context"] = ["Expected an object of variables."]
    if not isinstance(priority, int) or isinstance(priority, bool):
        errors["priority"] = ["Must be a whole number."]
    if errors:
        raise ValidationError("Some values are invalid", fields=errors)
    definitions = validate_field_definitions(list(fields) if fields is not None else [])
    source = source or local_source()
    new_user, new_group = _resolve_user(user), _resolve_group(group)
    now = timezone.now()
    task_uuid = uuid.uuid4()
    task = UserTask.objects.create(
        id=task_uuid,
        source=source,
        external_id=external_id or str(task_uuid),
        wf_run_id=wf_run_id or (case.external_id if case else str(uuid.uuid4())),
        case=case,
        task_type=task_type.strip(),
        title=title.strip(),
        description=description or "",
        status=TaskStatus.ASSIGNED if new_user else TaskStatus.UNASSIGNED,
        assignee=new_user,
        group=new_group,
        priority=priority,
        due_at=due_at,
        fields=definitions,
        context=context or {},
        created_at=created_at or now,
        updated_at=now,
    )
    _event(
        task,
        Kind.CREATED,
        actor=actor,
        source=None if actor else source,
        user=_user_ref(new_user),
        group=_group_ref(new_group),
    )
    return task


# --- comments -----------------------------------------------------------------------------------


def _clean_comment(text: Any) -> str:
    text = str(text or "").strip()
    if not text:
        raise ValidationError("A comment cannot be empty.", fields={"text": ["Write something."]})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            "The comment is too long.",
            fields={"text": [f"At most {COMMENT_MAX_LENGTH} characters."]},
        )
    return text


def _lock_comment(task: UserTask, comment_id: Any, user: User) -> Comment:
    try:
        comment = Comment.objects.select_for_update().get(
            pk=int(comment_id), task=task, deleted=False
        )
    except (Comment.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such comment") from None
    if comment.author_id != user.pk:
        raise Forbidden("Only the author may change this comment.")
    return comment


@transaction.atomic
def comment_add(*, task_id, user: User, text: str) -> Comment:
    """Anyone who can see a task may comment on it, in any state."""
    task = _lock_task(task_id, user)
    text = _clean_comment(text)
    comment = Comment.objects.create(task=task, author=user, text=text)
    _save(task)
    _event(task, Kind.COMMENT_ADDED, actor=user, comment_id=comment.pk, text=text)
    return comment


@transaction.atomic
def comment_edit(*, task_id, comment_id, user: User, text: str) -> Comment:
    """Only the author edits a comment; the event keeps the new text."""
    task = _lock_task(task_id, user)
    comment = _lock_comment(task, comment_id, user)
    comment.text = _clean_comment(text)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["text", "edited_at"])
    _save(task)
    _event(task, Kind.COMMENT_EDITED, actor=user, comment_id=comment.pk, text=comment.text)
    return comment


@transaction.atomic
def comment_delete(*, task_id, comment_id, user: User) -> None:
    """Only the author deletes a comment; it is flagged deleted, its history stays."""
    task = _lock_task(task_id, user)
    comment = _lock_comment(task, comment_id, user)
    comment.deleted = True
    comment.save(update_fields=["deleted"])
    _save(task)
    _event(task, Kind.COMMENT_DELETED, actor=user, comment_id=comment.pk)


# --- engine-driven changes (the sync importer) ---------------------------------------------------


def _json_safe(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _settle_outbox(task: UserTask, reason: str) -> None:
    """The engine finished the task itself: pending write-backs for it are moot."""
    task.outbox.filter(status=OutboxCommand.Status.PENDING).update(
        status=OutboxCommand.Status.FAILED, last_error=reason
    )


def tasks_upstream_create(*, source: Source, rows: list[dict]) -> list[UserTask]:
    """Bulk-insert tasks an engine reported for the first time, each with a CREATED event.

    ``rows`` are UserTask field values (already mapped to local users and groups). The caller
    holds the source's poll lease and an open transaction.
    """
    now = timezone.now()
    tasks = []
    for row in rows:
        created_at = row.pop("created_at", None) or now
        status = row["status"]
        tasks.append(
            UserTask(
                id=uuid.uuid4(),
                source=source,
                created_at=created_at,
                updated_at=now,
                completed_at=now if status in (TaskStatus.DONE, TaskStatus.CANCELLED) else None,
                **row,
            )
        )
    UserTask.objects.bulk_create(tasks, batch_size=1000)
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(
                task=task,
                kind=Kind.CREATED,
                actor_source=source,
                created_at=now,
                data={
                    "status": task.status,
                    "user": _user_ref(task.assignee),
                    "group": _group_ref(task.group),
                    "upstream_assignee": task.upstream_assignee or None,
                },
            )
            for task in tasks
        ],
        batch_size=1000,
    )
    return tasks


DESCRIPTIVE_FIELDS = (
    "title",
    "description",
    "task_type",
    "wf_run_id",
    "case_id",
    "priority",
    "due_at",
    "fields",
    "context",
)


@transaction.atomic
def task_upstream_apply(
    *,
    task_id,
    source: Source,
    values: dict,
    status: str,
    assignee: User | None,
    group: Group | None,
    upstream_assignee: str = "",
    results: dict | None = None,
    message: str = "",
    upstream_hash: str = "",
) -> bool:
    """Bring a task in line with what its engine reports; the engine is the actor.

    Locks the row. Descriptive fields are updated (one UPSTREAM_CHANGED event). An engine-side
    finish (DONE/CANCELLED) always wins over an open local task and settles its pending
    write-backs. An engine-side (re)assignment is applied only when no local write-back is
    pending (the engine has not seen our latest change yet). Terminal local tasks keep their
    state. Returns whether anything a user can see changed. Writes no outbox command.
    """
    task = _lock_task(task_id, None)
    changes = {}
    for name in DESCRIPTIVE_FIELDS:
        if name in values and getattr(task, name) != values[name]:
            changes[name] = [_json_safe(getattr(task, name)), _json_safe(values[name])]
            setattr(task, name, values[name])
    touched = list(changes)
    if task.upstream_hash != upstream_hash:
        task.upstream_hash = upstream_hash
    events = []
    if changes:
        events.append((Kind.UPSTREAM_CHANGED, {"changes": changes}))

    if not task.is_terminal and status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        task.status = status
        task.completed_at = timezone.now()
        touched += ["status", "completed_at"]
        if status == TaskStatus.DONE:
            task.results = results or {}
            touched.append("results")
            events.append((Kind.COMPLETED, {"results": task.results, "message": message}))
        else:
            events.append((Kind.CANCELLED, {"message": message or "Cancelled in the engine"}))
        _settle_outbox(task, f"The engine already ended the task ({status}).")
    elif not task.is_terminal:
        pending = task.outbox.filter(status=OutboxCommand.Status.PENDING).exists()
        new_group = group or task.group
        new_status = TaskStatus.ASSIGNED if assignee else TaskStatus.UNASSIGNED
        if not pending and (task.assignee_id, task.group_id, task.status) != (
            getattr(assignee, "pk", None),
            getattr(new_group, "pk", None),
            new_status,
        ):
            old_user, old_group = task.assignee, task.group
            task.assignee, task.group, task.status = assignee, new_group, new_status
            touched += ["assignee", "group", "status"]
            events.append((Kind.ASSIGNED, _assignment_data(task, old_user, old_group)))
        if not pending and task.upstream_assignee != upstream_assignee:
            task.upstream_assignee = upstream_assignee
            touched.append("upstream_assignee")
            if not any(kind == Kind.ASSIGNED for kind, _ in events):
                events.append((Kind.UPSTREAM_CHANGED, {"upstream_assignee": upstream_assignee}))

    if not events:
        task.save(update_fields=["upstream_hash"])
        return False
    _save(task, *dict.fromkeys(touched), "upstream_hash")
    for kind, data in events:
        _event(task, kind, source=source, **data)
    return True


@transaction.atomic
def task_upstream_end(*, task_id, source: Source, status: str, message: str = "") -> bool:
    """The engine ended a task (or its case) without giving its own record: close it here."""
    task = _lock_task(task_id, None)
    if task.is_terminal:
        return False
    task.status = status
    task.completed_at = timezone.now()
    _save(task, "status", "completed_at")
    kind = Kind.COMPLETED if status == TaskStatus.DONE else Kind.CANCELLED
    _event(task, kind, source=source, message=message)
    _settle_outbox(task, f"The engine already ended the task ({status}).")
    return True


def task_record_writeback_failure(*, command: OutboxCommand, error: str) -> None:
    """Show on the task's history that the engine refused a write-back (caller's transaction)."""
    if command.task_id is None:
        return
    task = UserTask.objects.select_for_update(of=("self",)).get(pk=command.task_id)
    _save(task)
    _event(
        task,
        Kind.UPSTREAM_CHANGED,
        source=command.source,
        write_back_failed=command.action,
        error=error[:1000],
    )
