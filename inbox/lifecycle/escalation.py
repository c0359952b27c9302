"""Escalations and service-level dates: the changes the SLA scanner and policy recompute make.

Called by ``sla.scanner`` (a Celery beat task) and ``sla.policies``; the lifecycle decides
nothing about *when*, it only applies the change like any other: row lock, version bump,
events in the task's history, and an outbox write-back when an engine owns the task.
"""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.lifecycle.core import (
    Kind,
    append_event,
    assignment_data,
    lock_task,
    queue_write_back,
    save_change,
)
from inbox.models import OutboxCommand, TaskStatus, UserTask
from inbox.sync.registry import capabilities


@transaction.atomic
def task_escalate(
    *,
    task_id,
    reason: str,
    rule: dict,
    notify: list[int] = (),
    raise_priority: int = 0,
    return_to_group: bool = False,
    reassign_user: User | None = None,
    reassign_group: Group | None = None,
) -> UserTask | None:
    """Apply one escalation rule's actions to an open task; the system is the actor.

    Locks the row. Appends an ESCALATED event (``reason`` in words, ``notify``: the user ids the
    notification service tells) and, when the holder changes, an ASSIGNED event and an ASSIGN
    (or RELEASE) write-back, exactly as an admin's reassignment. An action the task's engine
    cannot carry out is skipped and named in the event. Returns None for a task that ended
    meanwhile (nothing is written).
    """
    task = lock_task(task_id, None)
    if task.is_terminal:
        return None
    caps = capabilities(task.source.kind)
    touched, skipped, done = [], [], []
    if raise_priority:
        task.priority += raise_priority
        touched.append("priority")
        done.append(f"priority raised to {task.priority}")
    old_user, old_group = task.assignee, task.group
    write_back = None
    if reassign_user is not None or reassign_group is not None:
        if not caps.supports_task("assign"):
            skipped.append("reassign (the engine cannot)")
        else:
            task.assignee = (
                reassign_user if reassign_user is not None and reassign_user.is_active else None
            )
            if reassign_group is not None:
                task.group = reassign_group
            task.status = TaskStatus.ASSIGNED if task.assignee else TaskStatus.UNASSIGNED
            write_back = OutboxCommand.Action.ASSIGN
    elif return_to_group and task.assignee_id:
        if not caps.supports_task("release"):
            skipped.append("return to group (the engine cannot)")
        else:
            task.assignee, task.status = None, TaskStatus.UNASSIGNED
            write_back = OutboxCommand.Action.RELEASE
    moved = (task.assignee_id, task.group_id) != (
        getattr(old_user, "pk", None),
        getattr(old_group, "pk", None),
    )
    if moved:
        touched += ["assignee", "group", "status"]
        done.append(
            "returned to its group" if write_back == OutboxCommand.Action.RELEASE else "reassigned"
        )
    if touched:
        save_change(task, *touched)
    else:
        task.updated_at = timezone.now()  # the event's time
    append_event(
        task,
        Kind.ESCALATED,
        reason=reason,
        rule=rule,
        notify=sorted(set(notify)),
        actions=done,
        skipped=skipped,
    )
    if moved:
        append_event(task, Kind.ASSIGNED, **assignment_data(task, old_user, old_group))
        if write_back == OutboxCommand.Action.RELEASE:
            queue_write_back(task, write_back, requested_by=None)
        else:
            queue_write_back(
                task,
                write_back,
                requested_by=None,
                user=task.assignee.username if task.assignee else None,
                email=task.assignee.email if task.assignee else None,
                group=task.group.name if task.group else None,
            )
    return task


def tasks_set_due(*, dues: dict) -> list[UserTask]:
    """Set due dates in bulk (``{task id: (due_at, from_policy)}``: a policy's date, or back to
    the engine's), bumping each changed open task's version. Returns the changed rows. Set-based: one locking SELECT and one bulk UPDATE per 1000 tasks. No event
    (a recomputed SLA is not something a person did); the caller's transaction holds it."""
    changed: list[UserTask] = []
    ids = list(dues)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            rows = list(
                UserTask.objects.select_for_update()
                .filter(pk__in=chunk, status__in=(TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED))
                .only("id", "due_at", "due_from_policy", "version", "updated_at")
            )
            todo = []
            for row in rows:
                due, from_policy = dues[row.pk]
                if (row.due_at, row.due_from_policy) != (due, from_policy):
                    row.due_at, row.due_from_policy = due, from_policy
                    row.version += 1
                    row.updated_at = now
                    todo.append(row)
            UserTask.objects.bulk_update(
                todo, ["due_at", "due_from_policy", "version", "updated_at"], batch_size=1000
            )
            changed += todo
    return changed
