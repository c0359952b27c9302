"""Admin overrides: assign, complete or cancel any open task."""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from inbox.errors import (
    ValidationError,
)
from inbox.lifecycle.away import route_assignee
from inbox.lifecycle.core import (
    Kind,
    append_event,
    assignment_data,
    check_admin,
    check_open,
    check_supported,
    check_version,
    finish_cancelled,
    finish_done,
    lock_task,
    queue_write_back,
    resolve_group,
    resolve_user,
    save_change,
    user_ref,
)
from inbox.models import (
    OutboxCommand,
    TaskStatus,
    UserTask,
)


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
    A user who is away (``accounts.absences``) is replaced by their substitute; the event keeps
    whom it was meant for (``away_for``).
    """
    task = lock_task(task_id, actor)
    check_supported(task, "assign")
    check_admin(actor)
    if user in (None, "") and group in (None, ""):
        raise ValidationError(
            "Name a user or a group to assign to.",
            fields={"user": ["Give a user or a group."], "group": ["Give a user or a group."]},
        )
    check_version(task, expected_version)
    check_open(task)
    new_user, new_group = resolve_user(user), resolve_group(group)
    new_user, away_for = route_assignee(new_user)  # someone away: their substitute
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
    save_change(task, "status", "assignee", "group")
    data = assignment_data(task, old_user, old_group)
    if away_for is not None:
        data["away_for"] = user_ref(away_for)
    append_event(task, Kind.ASSIGNED, actor=actor, **data)
    queue_write_back(
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
    task = lock_task(task_id, actor)
    check_supported(task, "complete")
    check_admin(actor)
    check_version(task, expected_version)
    check_open(task)
    return finish_done(task, actor=actor, results=results, reason=reason)


@transaction.atomic
def task_admin_cancel(
    *, task_id, actor: User, message: str = "", expected_version: int | None = None
) -> UserTask:
    """Admin override: cancel any open task."""
    task = lock_task(task_id, actor)
    check_supported(task, "cancel")
    check_admin(actor)
    check_version(task, expected_version)
    check_open(task)
    return finish_cancelled(task, actor=actor, message=message)
