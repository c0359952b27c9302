"""The JSON bodies systems receive (webhooks, completion callbacks, the event feed)."""

from inbox.models import TaskEvent, UserTask

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
