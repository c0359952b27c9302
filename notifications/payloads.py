"""The JSON bodies systems receive (webhooks, completion callbacks, the event feed)."""

from inbox.models import Case, CaseEvent, TaskEvent, UserTask

EK = TaskEvent.Kind
WEBHOOK_EVENTS = (
    "task.created",
    "task.assigned",
    "task.completed",
    "task.cancelled",
    "task.overdue",
    "task.escalated",
    "comment.added",
    "case.changed",
)
CASE_CHANGED = "case.changed"
_BY_EVENT_KIND = {
    EK.CREATED: "task.created",
    EK.ASSIGNED: "task.assigned",
    EK.COMPLETED: "task.completed",
    EK.CANCELLED: "task.cancelled",
    EK.COMMENT_ADDED: "comment.added",
}


def webhook_kind(event: TaskEvent) -> str | None:
    return _BY_EVENT_KIND.get(event.kind)


def task_summary(task: UserTask) -> dict:
    return {
        "id": str(task.pk),
        "title": task.title,
        "type": task.task_type,
        "status": task.status,
        "assignee_id": task.assignee_id,
        "group": task.group.name if task.group_id else None,
        "wf_run_id": task.wf_run_id,
        "external_id": task.external_id,
        "version": task.version,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "results": task.results,
    }


def event_payload(event: TaskEvent, kind: str) -> dict:
    return {
        "event": kind,
        "event_id": event.pk,
        "occurred_at": event.created_at.isoformat(),
        "actor": event.actor_name,
        "data": event.data,
        "task": task_summary(event.task),
    }


def case_summary(case: Case) -> dict:
    return {
        "id": case.pk,
        "external_id": case.external_id,
        "source": case.source.name,
        "name": case.name,
        "process_key": case.process_key,
        "status": case.status,
        "upstream_status": case.upstream_status,
        "started_at": case.started_at.isoformat() if case.started_at else None,
        "ended_at": case.ended_at.isoformat() if case.ended_at else None,
    }


def case_event_payload(event: CaseEvent) -> dict:
    """A case's status seen or changed: ``case`` is the case as it is when fanned out; ``data``
    holds the change itself (old and new status), so a late delivery still tells the truth."""
    return {
        "event": CASE_CHANGED,
        "event_id": event.pk,
        "case_event": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "actor": event.actor_name,
        "data": event.data,
        "case": case_summary(event.case),
    }
