"""What staff do to a task: claim, release, complete, cancel."""

from django.db import transaction

from accounts.models import User
from inbox.errors import (
    AssignmentError,
    Forbidden,
    TaskStateError,
)
from inbox.lifecycle.claim_first import claim_first
from inbox.lifecycle.core import (
    Kind,
    append_event,
    assignment_data,
    change_if_unchanged,
    check_open,
    check_supported,
    check_version,
    finish_cancelled,
    finish_done,
    lock_task,
    queue_write_back,
    read_task,
    save_change,
    write_back_command,
)
from inbox.models import (
    OutboxCommand,
    TaskEvent,
    TaskStatus,
    UserTask,
)


def check_claimable(task: UserTask, user: User, expected_version: int | None) -> None:
    """The claim's checks, in the lifecycle's order (visibility was checked on reading)."""
    check_supported(task, "claim")
    check_version(task, expected_version)
    check_open(task)
    if task.status == TaskStatus.ASSIGNED:
        holder = "you" if task.assignee_id == user.pk else task.assignee.username
        raise AssignmentError(f"Already claimed by {holder}.")
    if not user.is_inbox_admin and task.group_id not in user.group_ids():
        raise AssignmentError("You are not a member of this task's group.")


def task_claim(*, task_id, user: User, expected_version: int | None = None) -> UserTask:
    """Claim an UNASSIGNED task of one of the caller's groups (admins: any unassigned task).

    Exactly one of many simultaneous claims wins; the others see AssignmentError.

    Written first, because claims rarely fail: on PostgreSQL ``claim_first`` claims the task in
    ONE statement whose WHERE holds every check below (nothing is read before it) and returns
    it. Only when that statement matched nothing (or elsewhere than PostgreSQL) does the claim
    take the path that reads first, which raises the precise error, or claims the task if it
    became claimable meanwhile:

    Optimistic, because claims rarely collide: the task is read without a lock (with its source,
    group and case, and the caller's permission facts in the same round trip) and checked; then
    ONE statement (``change_if_unchanged``) applies the change only while the row is still at
    the version read, and with it appends the event and its notification record and, for an
    engine's task, the write-back and its delivery flag. That statement is the claim's whole
    transaction: called outside a transaction it commits on its own (no BEGIN or COMMIT round
    trip; the reads before it change nothing); inside the caller's transaction it is part of
    it. A claim that loses the race writes nothing and starts over in a transaction under the
    row lock (``lock_task``), where the same checks see the winner's change ("Already claimed
    by ...") or, if the task is claimable again, claim it, with the same event, record,
    write-back and flag.
    """
    claimed = claim_first(task_id=task_id, user=user, expected_version=expected_version)
    if claimed is not None:
        return claimed
    task = read_task(task_id, user)
    check_claimable(task, user, expected_version)
    old_user, old_group = task.assignee, task.group
    task.status, task.assignee = TaskStatus.ASSIGNED, user
    event = TaskEvent(
        task=task,
        kind=Kind.ASSIGNED,
        actor=user,
        data=assignment_data(task, old_user, old_group),
    )
    command = write_back_command(
        task, OutboxCommand.Action.CLAIM, requested_by=user, user=user.username, email=user.email
    )
    if change_if_unchanged(task, ("status", "assignee"), event, command):
        return task
    return _claim_locked(task_id=task_id, user=user, expected_version=expected_version)


@transaction.atomic
def _claim_locked(*, task_id, user: User, expected_version: int | None) -> UserTask:
    """``task_claim`` after a lost race: the same checks and effects under the row lock."""
    task = lock_task(task_id, user)
    check_claimable(task, user, expected_version)
    old_user, old_group = task.assignee, task.group
    task.status, task.assignee = TaskStatus.ASSIGNED, user
    save_change(task, "status", "assignee")
    append_event(task, Kind.ASSIGNED, actor=user, **assignment_data(task, old_user, old_group))
    queue_write_back(
        task, OutboxCommand.Action.CLAIM, requested_by=user, user=user.username, email=user.email
    )
    return task


@transaction.atomic
def task_release(*, task_id, user: User, expected_version: int | None = None) -> UserTask:
    """Give an ASSIGNED task back to its group; only its assignee may."""
    task = lock_task(task_id, user)
    check_supported(task, "release")
    check_version(task, expected_version)
    check_open(task)
    if task.status != TaskStatus.ASSIGNED:
        raise TaskStateError("The task is not assigned to anyone.")
    if task.assignee_id != user.pk:
        raise Forbidden("Only the assignee may release this task.")
    old_user, old_group = task.assignee, task.group
    task.status, task.assignee = TaskStatus.UNASSIGNED, None
    save_change(task, "status", "assignee")
    append_event(task, Kind.ASSIGNED, actor=user, **assignment_data(task, old_user, old_group))
    queue_write_back(
        task,
        OutboxCommand.Action.RELEASE,
        requested_by=user,
        group=task.group.name if task.group else None,
    )
    return task


@transaction.atomic
def task_complete(
    *, task_id, user: User, results: dict | None, expected_version: int | None = None
) -> UserTask:
    """Complete the caller's ASSIGNED task with results valid against its fields."""
    task = lock_task(task_id, user)
    check_supported(task, "complete")
    check_version(task, expected_version)
    check_open(task)
    if task.status != TaskStatus.ASSIGNED:
        raise TaskStateError("Claim the task before completing it.")
    if task.assignee_id != user.pk:
        raise Forbidden("Only the assignee may complete this task.")
    return finish_done(task, actor=user, results=results, reason="")


@transaction.atomic
def task_cancel(
    *, task_id, user: User, message: str = "", expected_version: int | None = None
) -> UserTask:
    """Cancel a task: its assignee may; admins may cancel any open task."""
    task = lock_task(task_id, user)
    check_supported(task, "cancel")
    check_version(task, expected_version)
    check_open(task)
    if not user.is_inbox_admin and task.assignee_id != user.pk:
        raise Forbidden("Only the assignee or an admin may cancel this task.")
    return finish_cancelled(task, actor=user, message=message)
