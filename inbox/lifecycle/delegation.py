"""Delegation: the holder of a task hands it to another member of the task's group.

``task_delegate`` follows the lifecycle's rules (one transaction; the task row locked first;
checks in the order visibility -> version -> state -> permission -> target). The change is an
ASSIGNED event marked ``delegated`` (with the note), the new holder is told through the
notifications outbox, and an engine-owned task gets an ``assign`` write-back like any other
assignment (refused up front, ``Unsupported``, when the engine cannot assign).

Who may receive it: a member of the task's group. Admins may always delegate, to anyone;
``outside_group_allowed`` says when a task's policy lets its holder go outside the group.
Called by the task page and the REST API.
"""

from django.db import transaction
from django.utils import timezone

from accounts.absences import active_absence
from accounts.models import User
from inbox.errors import Forbidden, TaskStateError, ValidationError
from inbox.lifecycle.core import (
    Kind,
    append_event,
    assignment_data,
    check_open,
    check_supported,
    check_version,
    lock_task,
    queue_write_back,
    save_change,
)
from inbox.lifecycle.hooks import outside_group_rules
from inbox.models import OutboxCommand, TaskStatus, UserTask
from inbox.parsing import is_ascii_int

NOTE_MAX_LENGTH = 1000


def outside_group_allowed(task: UserTask) -> bool:
    """Whether the holder of ``task`` may delegate it to someone outside its group: when a rule
    registered in ``hooks.outside_group_rules`` says so (``sla`` registers the matching policy's
    ``allow_delegation_outside_group``; no rule, no policy: False). Inbox admins may always
    delegate anywhere, whatever this says. Reads only; called inside ``task_delegate``'s
    transaction."""
    return any(rule(task) for rule in outside_group_rules)


def _target(value) -> User:
    if isinstance(value, User):
        return value
    if value in (None, ""):
        raise ValidationError(
            "Name who you delegate the task to.", fields={"user": ["This field is required."]}
        )
    lookup = User.objects.filter(username=str(value))
    if is_ascii_int(value):
        lookup = User.objects.filter(pk=int(value)) | lookup
    user = lookup.first()
    if user is None:
        raise ValidationError(f"Unknown user {value!r}.", fields={"user": ["Unknown user."]})
    return user


@transaction.atomic
def task_delegate(
    *,
    task_id,
    user: User,
    to: User | str | int | None,
    note: str = "",
    expected_version: int | None = None,
) -> UserTask:
    """The holder of an ASSIGNED task (or an admin) hands it to ``to`` with an optional note.

    Refused: a task not ASSIGNED (TaskStateError); a caller who neither holds it nor is an
    admin (Forbidden); an unknown, inactive or away recipient, the current holder, or (unless
    admin or ``outside_group_allowed``) someone outside the task's group, and a note over
    NOTE_MAX_LENGTH (ValidationError naming ``user`` or ``note``)."""
    task = lock_task(task_id, user)
    check_supported(task, "assign")
    check_version(task, expected_version)
    check_open(task)
    if task.status != TaskStatus.ASSIGNED:
        raise TaskStateError("Only a claimed task can be delegated; claim it first.")
    if task.assignee_id != user.pk and not user.is_inbox_admin:
        raise Forbidden("Only the task's holder may delegate it.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            "The note is too long.",
            fields={"note": [f"At most {NOTE_MAX_LENGTH} characters."]},
        )
    target = _target(to)
    if not target.is_active:
        raise ValidationError(
            f"{target.username} is inactive.", fields={"user": [f"{target.username} is inactive."]}
        )
    if target.pk == task.assignee_id:
        raise ValidationError(
            f"{target.username} already holds this task.",
            fields={"user": ["Choose someone else."]},
        )
    if not user.is_inbox_admin and not outside_group_allowed(task):
        if task.group_id is None:
            raise ValidationError(
                "This task has no group: only an admin can hand it on.",
                fields={"user": ["Only an admin can delegate a task without a group."]},
            )
        if not target.groups.filter(pk=task.group_id).exists():
            message = f"{target.username} is not a member of {task.group.name}."
            raise ValidationError(message, fields={"user": [message]})
    absence = active_absence(target)
    if absence is not None:
        until = timezone.localtime(absence.ends_at).strftime("%Y-%m-%d %H:%M")
        message = (
            f"{target.username} is away until {until}; "
            f"{absence.substitute.username} stands in for them."
        )
        raise ValidationError(message, fields={"user": [message]})
    old_user, old_group = task.assignee, task.group
    task.assignee = target
    save_change(task, "assignee")
    data = assignment_data(task, old_user, old_group)
    append_event(task, Kind.ASSIGNED, actor=user, delegated=True, note=note, **data)
    queue_write_back(
        task,
        OutboxCommand.Action.ASSIGN,
        requested_by=user,
        user=target.username,
        email=target.email,
        group=task.group.name if task.group else None,
    )
    return task
