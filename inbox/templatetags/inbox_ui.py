"""Small presentation helpers for the inbox templates."""

import json
from datetime import timedelta

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from inbox import vocabulary

register = template.Library()


@register.filter
def short_age(when) -> str:
    """'5m', '3h', '2d', '6w' since ``when``."""
    if not when:
        return "—"
    seconds = max(0, int((timezone.now() - when).total_seconds()))
    for size, unit in ((7 * 86400, "w"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size * (2 if unit == "w" else 1):
            return f"{seconds // size}{unit}"
    return "now"


@register.filter
def capped(count) -> str:
    """A count from ``capped_task_count``: "100+" when it stopped at the cap."""
    from inbox.queries import COUNT_CAP

    return f"{COUNT_CAP}+" if count is not None and count >= COUNT_CAP else str(count)


@register.filter
def ago(when) -> str:
    """'just now', '5m ago', '2d ago'."""
    age = short_age(when)
    return {"now": "just now", "—": "—"}.get(age, f"{age} ago")


@register.filter
def duration(delta) -> str:
    """A timedelta as '4 s', '12 min', '3 h', '2 d'."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds()) if isinstance(delta, timedelta) else int(delta)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


@register.filter
def due_state(task) -> str:
    """'overdue', 'soon' (within a day) or ''."""
    if not task.due_at or task.is_terminal:
        return ""
    now = timezone.now()
    if task.due_at < now:
        return "overdue"
    if task.due_at < now + timedelta(days=1):
        return "soon"
    return ""


@register.filter
def show_value(value) -> str:
    """A JSON value for reading: booleans as Yes/No, objects as compact JSON."""
    if isinstance(value, dict) and "value" in value and "type" in value:
        value = value["value"]
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


def _name(ref) -> str | None:
    if not ref:
        return None
    return ref.get("username") or ref.get("name")


@register.filter
def event_sentence(event) -> str:
    """One readable line for a TaskEvent (the actor is shown separately)."""
    data = event.data or {}
    kind = event.kind
    if kind == "CREATED":
        where = _name(data.get("group"))
        who = _name(data.get("user"))
        # an engine's task is created there first; the inbox imports it later
        engine = event.actor_source_id is not None and not event.actor_source.is_local
        text = "brought the task into the inbox" if engine else "created the task"
        if where:
            text += f" in {where}"
        if who:
            text += f" for {who}"
        if _name(data.get("away_for")):
            text += f" (meant for {_name(data.get('away_for'))}, who is away)"
        created = getattr(event.task, "created_at", None) if engine else None
        if created and abs(event.created_at - created) > timedelta(minutes=1):
            text += f" (created in the engine {date_filter(created, 'M j, Y H:i')})"
        return text
    if kind == "ASSIGNED":
        old_user, new_user = _name(data.get("old_user")), _name(data.get("new_user"))
        old_group, new_group = _name(data.get("old_group")), _name(data.get("new_group"))
        actor = event.actor.username if event.actor_id else None
        away = _name(data.get("away_for"))
        if data.get("delegated"):
            note = data.get("note")
            return f"delegated it to {new_user}" + (f": {note}" if note else "")
        if away and new_user:
            return f"assigned it to {new_user} for {away}, who is away"
        if new_user and not old_user and new_user == actor and old_group == new_group:
            return "claimed it"
        if old_user and not new_user and old_user == actor and old_group == new_group:
            return "released it back to the group"
        parts = []
        if new_user != old_user:
            parts.append(f"assigned it to {new_user}" if new_user else f"unassigned {old_user}")
        if new_group != old_group:
            parts.append(f"moved it from {old_group or 'no group'} to {new_group or 'no group'}")
        return " and ".join(parts) or "re-assigned it"
    if kind == "COMPLETED":
        return "completed it" + (" (admin override)" if data.get("reason") else "")
    if kind == "CANCELLED":
        return "cancelled it"
    if kind == "COMMENT_ADDED":
        return "commented"
    if kind == "COMMENT_EDITED":
        return "edited a comment"
    if kind == "COMMENT_DELETED":
        return "deleted a comment"
    if kind == "ESCALATED":  # sla.scanner: a rule's moment passed
        done = "; ".join(
            [*(data.get("actions") or []), *(f"skipped {s}" for s in data.get("skipped") or [])]
        )
        return f"escalated it: {data.get('reason', 'SLA')}" + (f" ({done})" if done else "")
    if kind == "UPSTREAM_CHANGED" and data.get("write_back_failed"):
        return f"refused the {data['write_back_failed']} write-back: {data.get('error', '')}"
    if kind == "UPSTREAM_CHANGED" and data.get("outcome"):
        action, detail = data.get("write_back", "write-back"), data.get("detail", "")
        text = {
            "conflict": f"shows a different decision than the {action} write-back",
            "retried": f"retried the {action} write-back",
            "resolved": f"resolved the {action} write-back by taking the engine's state",
        }.get(data["outcome"], f"{data['outcome']} the {action} write-back")
        return f"{text} ({detail})" if detail else text
    if kind == "UPSTREAM_CHANGED":
        keys = ", ".join(sorted(k for k in data if k not in ("raw",)))
        return f"changed it upstream ({keys})" if keys else "changed it upstream"
    return kind.lower().replace("_", " ")


@register.filter
def delivery_label(flag) -> str:
    """The list and title badge for a task whose write-backs have not all reached the engine."""
    from inbox.delivery import FLAG_LABELS

    return FLAG_LABELS.get(flag or "", "")


@register.filter
def event_icon(kind) -> str:
    return {
        "CREATED": "+",
        "ASSIGNED": "→",
        "COMPLETED": "✓",
        "CANCELLED": "✕",
        "COMMENT_ADDED": "✎",
        "COMMENT_EDITED": "✎",
        "COMMENT_DELETED": "✎",
        "UPSTREAM_CHANGED": "⟳",
        "ESCALATED": "⚑",
    }.get(kind, "•")


@register.filter
def say(value, kind="words") -> str:
    """Engine vocabulary in people's words (inbox/vocabulary.py): ``{{ x|say:"state" }}``."""
    return vocabulary.say(value, kind)


@register.filter
def next_try(when) -> str:
    """When a failing source is polled again: 'next try in 40 s', or 'next try now' once due."""
    if not when:
        return ""
    seconds = int((when - timezone.now()).total_seconds())
    return "next try now" if seconds <= 0 else f"next try in {duration(seconds)}"
