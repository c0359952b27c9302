"""The bridge's JSON shapes, built from inbox rows (camelCase, string ids, LittleHorse times)."""

from datetime import UTC, datetime

from django.contrib.auth.models import Group

from accounts.models import User
from inbox.models import Comment, TaskEvent, UserTask

Kind = TaskEvent.Kind


def lh_time(when: datetime | None) -> str | None:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` in UTC."""
    if when is None:
        return None
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def lh_group(group: Group) -> dict:
    return {"id": str(group.pk), "name": group.name, "valid": True}


def lh_user(user: User) -> dict:
    return {
        "id": str(user.pk),
        "email": user.email or None,
        "username": user.username,
        "firstName": user.first_name or None,
        "lastName": user.last_name or None,
        "valid": user.is_active,
    }


def lh_simple_task(task: UserTask) -> dict:
    body = {
        "id": str(task.id),
        "wfRunId": task.wf_run_id,
        "userTaskDefName": task.task_type,
        "status": task.status,
        "notes": task.description,
        "scheduledTime": lh_time(task.created_at),
    }
    if task.group_id:
        body["userGroup"] = lh_group(task.group)
    if task.assignee_id:
        body["user"] = lh_user(task.assignee)
    return body


def lh_detailed_task(task: UserTask, *, with_events: bool) -> dict:
    body = lh_simple_task(task)
    body["fields"] = [
        {
            "name": field["name"],
            "displayName": field.get("display_name") or field["name"],
            "description": field.get("description") or "",
            "type": field["type"],
            "required": bool(field.get("required")),
        }
        for field in task.fields
    ]
    body["results"] = task.results or {}
    if with_events:
        body["events"] = [e for e in (lh_event(ev) for ev in task.event_list) if e]
    return body


def _ref_id(ref: dict | None) -> str | None:
    return None if not ref else str(ref.get("id"))


def lh_event(event: TaskEvent) -> dict | None:
    """An inbox event as the bridge's ``{time, type, event}``; None for kinds it has not."""
    data = event.data or {}
    user_id = str(event.actor_id) if event.actor_id else None
    if event.kind == Kind.ASSIGNED:
        payload = {
            "oldUserId": _ref_id(data.get("old_user")),
            "oldUserGroup": _ref_id(data.get("old_group")),
            "newUserId": _ref_id(data.get("new_user")),
            "newUserGroup": _ref_id(data.get("new_group")),
        }
        kind, payload = "TASK_ASSIGNED", {k: v for k, v in payload.items() if v is not None}
    elif event.kind == Kind.CANCELLED:
        kind, payload = "TASK_CANCELLED", {"message": data.get("message", "")}
    elif event.kind == Kind.COMPLETED:
        kind, payload = "TASK_COMPLETED", {"message": data.get("reason", "")}
    elif event.kind in (Kind.COMMENT_ADDED, Kind.COMMENT_EDITED):
        kind = str(event.kind)
        payload = {
            "comment": data.get("text", ""),
            "userId": user_id,
            "commentId": data.get("comment_id"),
        }
    elif event.kind == Kind.COMMENT_DELETED:
        kind, payload = "COMMENT_DELETED", {"userId": user_id, "commentId": data.get("comment_id")}
    else:
        return None
    return {"time": lh_time(event.created_at), "type": kind, "event": payload}


def lh_comment(comment: Comment, kind: str = "COMMENT_ADDED") -> dict:
    """A comment as an audit event: its current text, by its author."""
    payload = {"userId": str(comment.author_id), "commentId": comment.pk}
    if kind != "COMMENT_DELETED":
        payload = {"comment": comment.text, **payload}
    when = (
        comment.edited_at if kind == "COMMENT_EDITED" and comment.edited_at else comment.created_at
    )
    return {"time": lh_time(when), "type": kind, "event": payload}
