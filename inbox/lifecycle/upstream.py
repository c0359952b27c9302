"""Engine-driven changes (the sync importer): the source is the actor, no outbox, except when
the engine assigned a task to someone who is away: the substitute who got it is written back."""

import uuid

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox import bulk
from inbox.delivery import refresh_task_delivery
from inbox.lifecycle.core import (
    Kind,
    append_event,
    append_event_rows,
    assignment_data,
    group_ref,
    lock_task,
    queue_write_back,
    save_change,
    user_ref,
)
from inbox.lifecycle.hooks import SLA_FIELDS, tasks_touched
from inbox.models import (
    OutboxCommand,
    Source,
    TaskStatus,
    UserTask,
)
from inbox.sync.registry import capabilities


def _json_safe(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _settle_outbox(task: UserTask, reason: str) -> None:
    """The engine finished the task itself: open write-backs for it (claims, releases,
    assignments) are moot. They are resolved by the engine's state, not failed."""
    task.outbox.filter(status__in=OutboxCommand.OPEN).update(
        status=OutboxCommand.Status.RESOLVED, conflict_detail=reason, resolved_at=timezone.now()
    )
    refresh_task_delivery(task.pk)


def _write_back_substitute(task: UserTask) -> None:
    """The engine assigned the task to someone away and the inbox gave it to their substitute
    (``inbox.lifecycle.away``): tell the engine, as an assignment, so both agree on who holds
    it (when the engine can assign at all). Caller's transaction."""
    if task.source.is_local or not capabilities(task.source.kind).supports_task("assign"):
        return
    queue_write_back(
        task,
        OutboxCommand.Action.ASSIGN,
        requested_by=None,
        user=task.assignee.username,
        email=task.assignee.email,
        group=task.group.name if task.group else None,
    )


def tasks_upstream_create(*, source: Source, rows: list[dict]) -> list[UserTask]:
    """Bulk-insert tasks an engine reported for the first time, each with a CREATED event.

    ``rows`` are UserTask field values (already mapped to local users and groups), plus an
    optional ``away_for`` (the user the engine named, who is away: ``assignee`` is their
    substitute). The caller holds the source's poll lease and an open transaction.
    """
    now = timezone.now()
    values = []
    away_for: dict[int, User | None] = {}  # who each task was meant for, when they are away
    for row in rows:
        # When the engine created the step, never in the future (a scheduled event's date).
        created_at = min(row.pop("created_at", None) or now, now)
        away_for[len(values)] = row.pop("away_for", None)
        status, assignee, group = row["status"], row.pop("assignee", None), row.pop("group", None)
        values.append(
            {
                **row,
                "id": uuid.uuid4(),
                "source_id": source.pk,
                "source": source,
                "assignee_id": assignee.pk if assignee is not None else None,
                "assignee": assignee,
                "group_id": group.pk if group is not None else None,
                "group": group,
                "created_at": created_at,
                "updated_at": now,
                "completed_at": now if status in (TaskStatus.DONE, TaskStatus.CANCELLED) else None,
            }
        )
    tasks = bulk.new_instances(UserTask, values, related=("source", "assignee", "group"))
    bulk.insert(UserTask, tasks)
    events = [
        {
            "task_id": task.id,
            "kind": Kind.CREATED,
            "actor_id": None,
            "actor_source_id": source.pk,
            "created_at": now,
            "data": {
                "status": task.status,
                "user": user_ref(task.assignee),
                "group": group_ref(task.group),
                "upstream_assignee": task.upstream_assignee or None,
                **({"away_for": user_ref(away_for[i])} if away_for.get(i) else {}),
            },
        }
        for i, task in enumerate(tasks)
    ]
    append_event_rows(events)
    tasks_touched.send(sender=UserTask, tasks=tasks, engine_due=True, created=True)  # SLA
    for i, task in enumerate(tasks):
        if away_for.get(i) and task.assignee_id:
            _write_back_substitute(task)
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
    away_for: User | None = None,
) -> bool:
    """Bring a task in line with what its engine reports; the engine is the actor.

    Locks the row. Descriptive fields are updated (one UPSTREAM_CHANGED event). An engine-side
    finish (DONE/CANCELLED) always wins over an open local task and settles its pending
    write-backs. An engine-side (re)assignment is applied only when no local write-back is
    pending (the engine has not seen our latest change yet). Terminal local tasks keep their
    state. Returns whether anything a user can see changed. Writes no outbox command.
    ``away_for``: the engine named that user, who is away; ``assignee`` is their substitute.
    """
    task = lock_task(task_id, None)
    changes = {}
    if task.due_from_policy and values.get("due_at") is None:
        values = {k: v for k, v in values.items() if k != "due_at"}  # the engine still sends none
    for name in DESCRIPTIVE_FIELDS:
        if name in values and getattr(task, name) != values[name]:
            changes[name] = [_json_safe(getattr(task, name)), _json_safe(values[name])]
            setattr(task, name, values[name])
    if "due_at" in changes and task.due_from_policy:
        task.due_from_policy = False  # the engine's date, until a policy says otherwise
        changes_extra = ["due_from_policy"]
    else:
        changes_extra = []
    touched = list(changes) + changes_extra
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
        pending = task.outbox.filter(status__in=OutboxCommand.OPEN).exists()
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
            data = assignment_data(task, old_user, old_group)
            if away_for is not None and assignee is not None:
                data["away_for"] = user_ref(away_for)
            events.append((Kind.ASSIGNED, data))
        if not pending and task.upstream_assignee != upstream_assignee:
            task.upstream_assignee = upstream_assignee
            touched.append("upstream_assignee")
            if not any(kind == Kind.ASSIGNED for kind, _ in events):
                events.append((Kind.UPSTREAM_CHANGED, {"upstream_assignee": upstream_assignee}))

    if not events:
        task.save(update_fields=["upstream_hash"])
        return False
    save_change(task, *dict.fromkeys(touched), "upstream_hash")
    for kind, data in events:
        append_event(task, kind, source=source, **data)
    if SLA_FIELDS.intersection(touched):  # SLA policies: the engine's due date, or what matches
        tasks_touched.send(sender=UserTask, tasks=[task], engine_due="due_at" in changes)
    if any(kind == Kind.ASSIGNED and data.get("away_for") for kind, data in events):
        _write_back_substitute(task)
    return True


@transaction.atomic
def task_upstream_end(*, task_id, source: Source, status: str, message: str = "") -> bool:
    """The engine ended a task (or its case) without giving its own record: close it here."""
    task = lock_task(task_id, None)
    if task.is_terminal:
        return False
    task.status = status
    task.completed_at = timezone.now()
    save_change(task, "status", "completed_at")
    kind = Kind.COMPLETED if status == TaskStatus.DONE else Kind.CANCELLED
    append_event(task, kind, source=source, message=message)
    _settle_outbox(task, f"The engine already ended the task ({status}).")
    return True


def task_record_writeback_failure(*, command: OutboxCommand, error: str) -> None:
    """Show on the task's history that the engine refused a write-back (caller's transaction)."""
    if command.task_id is None:
        return
    task = UserTask.objects.select_for_update(of=("self",)).get(pk=command.task_id)
    save_change(task)
    append_event(
        task,
        Kind.UPSTREAM_CHANGED,
        source=command.source,
        write_back_failed=command.action,
        error=error[:1000],
    )


def task_record_writeback_outcome(
    *, command: OutboxCommand, outcome: str, actor: User | None = None, detail: str = ""
) -> None:
    """Record on the task's history what became of a write-back: ``conflict`` (the engine shows
    a different decision), ``retried`` or ``resolved`` (by an admin), ``delivered`` (after it
    had failed). Locks the task row; runs in the caller's transaction. Bumps the version so
    open task pages refresh."""
    if command.task_id is None:
        return
    task = UserTask.objects.select_for_update(of=("self",)).get(pk=command.task_id)
    save_change(task)
    data = {"write_back": command.action, "outcome": outcome}
    if detail:
        data["detail"] = detail[:1000]
    if actor is not None:
        append_event(task, Kind.UPSTREAM_CHANGED, actor=actor, **data)
    else:
        append_event(task, Kind.UPSTREAM_CHANGED, source=command.source, **data)


@transaction.atomic
def task_upstream_adopt(
    *,
    task_id,
    actor: User,
    status: str,
    assignee: User | None,
    group: Group | None,
    upstream_assignee: str = "",
    results: dict | None = None,
) -> bool:
    """Admin: resolve a failed or conflicting write-back by taking the engine's state for the
    task, even over a local terminal state (the engine is right about its own step). Locks the
    row; one event per change, the admin as actor. Writes no outbox command. Returns whether
    anything changed."""
    task = lock_task(task_id, None)
    touched, events = [], []
    if task.status != status and status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        task.status = status
        task.completed_at = task.completed_at or timezone.now()
        touched += ["status", "completed_at"]
        if status == TaskStatus.DONE:
            task.results = results or {}
            touched.append("results")
            events.append((Kind.COMPLETED, {"results": task.results, "reason": "engine's state"}))
        else:
            events.append((Kind.CANCELLED, {"message": "Cancelled in the engine"}))
    elif status == TaskStatus.DONE == task.status and results and results != task.results:
        changes = {"results": [task.results, results]}
        task.results = results
        touched.append("results")
        events.append((Kind.UPSTREAM_CHANGED, {"changes": changes}))
    elif status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        pass  # the same end as the engine's: nothing to take
    elif task.status != status or (task.assignee_id, task.group_id) != (
        getattr(assignee, "pk", None),
        getattr(group or task.group, "pk", None),
    ):
        old_user, old_group = task.assignee, task.group
        task.status = status
        task.assignee, task.group = assignee, group or task.group
        task.completed_at = None
        task.upstream_assignee = upstream_assignee
        touched += ["status", "assignee", "group", "completed_at", "upstream_assignee"]
        events.append((Kind.ASSIGNED, assignment_data(task, old_user, old_group)))
    if not touched:
        return False
    save_change(task, *touched)
    for kind, data in events:
        append_event(task, kind, actor=actor, **data)
    return True
