"""The bridge's JSON shapes, built from inbox rows (camelCase, string ids, LittleHorse times).

As the bridge (Jackson without ``NON_NULL``): ``user``, ``userGroup`` and ``bookmark`` are
``null`` when there is none, never absent; audit events name groups, not ids; a comment's
``userId`` is ``<id>::<username>`` as the bridge packs ``sub::preferred_username``.
"""

from datetime import UTC, datetime

from django.contrib.auth.models import Group

from accounts.models import User
from inbox.models import TaskEvent, UserTask

Kind = TaskEvent.Kind
ADMIN_ROLE = "lh-user-tasks-admin"
CANCELLED_MESSAGE = "UserTaskRun was cancelled"
COMPLETED_MESSAGE = "Completed"


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
    return {
        "id": str(task.id),
        "wfRunId": task.wf_run_id,
        "userTaskDefName": task.task_type,
        "userGroup": lh_group(task.group) if task.group_id else None,
        "user": lh_user(task.assignee) if task.assignee_id else None,
        "status": task.status,
        "notes": task.description,
        "scheduledTime": lh_time(task.created_at),
    }


def lh_task_list(tasks, bookmark: str | None) -> dict:
    return {"userTasks": [lh_simple_task(t) for t in tasks], "bookmark": bookmark or None}


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
        body["events"] = lh_events(task)
    return body


def _ref(ref: dict | None, key: str) -> str:
    """A user's id or a group's name from an event's reference; "" for none (as protobuf)."""
    return "" if not ref else str(ref.get(key, ""))


def comment_user_id(user: User | None) -> str:
    return f"{user.pk}::{user.username}" if user else ""


def _assigned(old_user, old_group, new_user, new_group) -> dict:
    return {
        "oldUserId": _ref(old_user, "id"),
        "oldUserGroup": _ref(old_group, "name"),
        "newUserId": _ref(new_user, "id"),
        "newUserGroup": _ref(new_group, "name"),
    }


def lh_event(event: TaskEvent) -> dict | None:
    """An inbox event as the bridge's ``{time, type, event}``; None for kinds it has not."""
    data = event.data or {}
    if event.kind == Kind.CREATED:
        # LittleHorse records the first assignment (to the group and/or user) at arrival.
        if not (data.get("user") or data.get("group")):
            return None
        kind, payload = "TASK_ASSIGNED", _assigned(None, None, data.get("user"), data.get("group"))
    elif event.kind == Kind.ASSIGNED:
        payload = _assigned(
            data.get("old_user"), data.get("old_group"), data.get("new_user"), data.get("new_group")
        )
        kind = "TASK_ASSIGNED"
    elif event.kind == Kind.CANCELLED:
        kind, payload = "TASK_CANCELLED", {"message": data.get("message") or CANCELLED_MESSAGE}
    elif event.kind == Kind.COMPLETED:
        kind, payload = "TASK_COMPLETED", {"message": COMPLETED_MESSAGE}
    elif event.kind in (Kind.COMMENT_ADDED, Kind.COMMENT_EDITED):
        kind = str(event.kind)
        payload = {
            "comment": data.get("text", ""),
            "userId": comment_user_id(event.actor),
            "commentId": data.get("comment_id"),
        }
    elif event.kind == Kind.COMMENT_DELETED:
        kind = "COMMENT_DELETED"
        payload = {"userId": comment_user_id(event.actor), "commentId": data.get("comment_id")}
    else:
        return None
    return {"time": lh_time(event.created_at), "type": kind, "event": payload}


def lh_events(task: UserTask) -> list[dict]:
    """The task's audit trail (every creation path records a CREATED event: the arrival's
    ``TASK_ASSIGNED``)."""
    return [e for e in (lh_event(ev) for ev in task.event_list) if e]


def lh_comments(task: UserTask) -> list[dict]:
    """The bridge's comment list: the latest event of each comment (``COMMENT_DELETED``
    included), by comment id."""
    latest: dict[int, dict] = {}
    for ev in task.event_list:
        if ev.kind in (Kind.COMMENT_ADDED, Kind.COMMENT_EDITED, Kind.COMMENT_DELETED):
            shaped = lh_event(ev)
            if shaped and shaped["event"]["commentId"] is not None:
                latest[shaped["event"]["commentId"]] = shaped
    return [latest[k] for k in sorted(latest)]


def lh_managed_group(group: Group) -> dict:
    return {"id": str(group.pk), "name": group.name}


def lh_managed_user(user: User) -> dict:
    """The management routes' ``IDPUserDTO``."""
    return {
        "id": str(user.pk),
        "username": user.username,
        "firstName": user.first_name or None,
        "lastName": user.last_name or None,
        "email": user.email or None,
        "groups": [lh_managed_group(g) for g in user.groups.all()],
        "realmRoles": [ADMIN_ROLE] if user.is_inbox_admin else [],
        "clientRoles": {},
        "enabled": user.is_active,
    }
