"""Escalations and service-level dates: the changes the SLA scanner and policy recompute make.

Called by ``sla.scanner`` (a Celery beat task) and ``sla.policies``; the lifecycle decides
nothing about *when*, it only applies the change like any other: row lock, version bump,
events in the task's history, and an outbox write-back when an engine owns the task.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from inbox.lifecycle.core import (
    Kind,
    append_event,
    append_event_rows,
    assignment_data,
    lock_task,
    queue_write_back,
    save_change,
)
from inbox.models import OPEN_STATUSES, OutboxCommand, TaskStatus, UserTask
from inbox.sync.registry import capabilities

log = logging.getLogger(__name__)

# What a set-based escalation reads and changes (not the form, results or context).
ESCALATION_FIELDS = (
    "id",
    "status",
    "created_at",
    "due_at",
    "assignee_id",
    "group_id",
    "priority",
    "version",
    "updated_at",
    "title",
)


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
    old_user_id, old_group_id = task.assignee_id, task.group_id
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
    moved = (task.assignee_id, task.group_id) != (old_user_id, old_group_id)
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
        old_user = User.objects.filter(pk=old_user_id).first() if old_user_id else None
        old_group = Group.objects.filter(pk=old_group_id).first() if old_group_id else None
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


@dataclass
class Escalation:
    """One rule's firing on one task, for ``tasks_escalate``."""

    task_id: object
    reason: str
    rule: dict
    notify: list[int] = field(default_factory=list)
    raise_priority: int = 0
    return_to_group: bool = False
    reassign_user: User | None = None
    reassign_group: Group | None = None

    @property
    def moves(self) -> bool:
        return (
            self.return_to_group
            or self.reassign_user is not None
            or self.reassign_group is not None
        )


def tasks_escalate(*, escalations: list[Escalation]) -> dict:
    """Apply many firings at once (the scanner's batch); returns ``{task id: UserTask}`` of the
    open tasks escalated (ended tasks are left alone and absent).

    Firings that only notify or raise priority are set-based: one locking SELECT of their
    tasks, one bulk UPDATE (priority, version), one bulk INSERT of ESCALATED events and their
    notification outbox rows. A task with a firing that moves it (return to group, reassign)
    goes through ``task_escalate`` firing by firing, each in a savepoint, as an admin's
    reassignment would. Runs in the caller's transaction (or its own).
    """
    moving = {e.task_id for e in escalations if e.moves}
    result: dict = {}
    with transaction.atomic():
        simple = [e for e in escalations if e.task_id not in moving]
        if simple:
            tasks = {
                t.pk: t
                for t in UserTask.objects.select_for_update(of=("self",))
                .filter(pk__in={e.task_id for e in simple}, status__in=OPEN_STATUSES)
                .only(*ESCALATION_FIELDS)
            }
            now = timezone.now()
            events = []
            for e in simple:
                task = tasks.get(e.task_id)
                if task is None:
                    continue
                done = []
                if e.raise_priority:
                    task.priority += e.raise_priority
                    done.append(f"priority raised to {task.priority}")
                events.append(
                    {
                        "task_id": task.pk,
                        "kind": Kind.ESCALATED,
                        "actor_id": None,
                        "actor_source_id": None,
                        "created_at": now,
                        "data": {
                            "reason": e.reason,
                            "rule": e.rule,
                            "notify": sorted(set(e.notify)),
                            "actions": done,
                            "skipped": [],
                        },
                    }
                )
                result[task.pk] = task
            # One UPDATE per distinct priority raise (rules raise by a few fixed steps).
            raises: dict = {}
            for e in simple:
                if e.task_id in result:
                    raises[e.task_id] = raises.get(e.task_id, 0) + e.raise_priority
            by_step: dict[int, list] = {}
            for task_id, step in raises.items():
                by_step.setdefault(step, []).append(task_id)
            for step, ids in by_step.items():
                UserTask.objects.filter(pk__in=ids).update(
                    priority=F("priority") + step, version=F("version") + 1, updated_at=now
                )
            for task in result.values():
                task.version += 1
                task.updated_at = now
            append_event_rows(events)
        for e in escalations:
            if e.task_id in moving:
                try:
                    task = task_escalate(
                        task_id=e.task_id,
                        reason=e.reason,
                        rule=e.rule,
                        notify=e.notify,
                        raise_priority=e.raise_priority,
                        return_to_group=e.return_to_group,
                        reassign_user=e.reassign_user,
                        reassign_group=e.reassign_group,
                    )
                except Exception:  # one broken action must not hold back the other tasks
                    log.exception("escalation %s failed on task %s", e.rule, e.task_id)
                    continue
                if task is not None:
                    result[task.pk] = task
    return result


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
                .filter(pk__in=chunk, status__in=OPEN_STATUSES)
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
