"""SLA state in words a person reads: "claim within 2h", "due in 3h", "breached 1d ago",
"escalated: unclaimed 4 business hours". Also turns engine SLA JSON (UiPath stage SLAs:
count + unit) into a due time. Reads only; no queries unless stated."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from sla.durations import short


def due_words(due: datetime | None, *, now: datetime | None = None, verb: str = "due") -> str:
    """ "due in 3h" / "breached 1d ago" (empty without a due date)."""
    if due is None:
        return ""
    now = now or timezone.now()
    if due > now:
        return f"{verb} in {short(due - now)}"
    return f"breached {short(now - due)} ago"


# --- engine SLAs -----------------------------------------------------------------------------

ENGINE_UNITS = {
    "min": ("minutes", 1),
    "minute": ("minutes", 1),
    "minutes": ("minutes", 1),
    "h": ("hours", 1),
    "hour": ("hours", 1),
    "hours": ("hours", 1),
    "d": ("days", 1),
    "day": ("days", 1),
    "days": ("days", 1),
    "w": ("weeks", 1),
    "week": ("weeks", 1),
    "weeks": ("weeks", 1),
    "m": ("days", 30),
    "mo": ("days", 30),
    "month": ("days", 30),
    "months": ("days", 30),
}
UNIT_NAMES = {"minutes": "minute", "hours": "hour", "days": "day", "weeks": "week"}


def engine_sla_duration(sla) -> timedelta | None:
    """A UiPath stage SLA ``{"count": 1, "unit": "d", "escalationRule": [...]}`` as a duration
    (None when it is not one: no count, an unknown unit). UiPath's units are h, d, w and m (months, counted as 30 days)."""
    if not isinstance(sla, dict):
        return None
    count, unit = sla.get("count"), str(sla.get("unit") or "").strip().lower()
    if isinstance(count, bool) or not isinstance(count, int | float) or count <= 0:
        return None
    if unit not in ENGINE_UNITS:
        return None
    name, factor = ENGINE_UNITS[unit]
    return timedelta(**{name: count * factor})


def engine_sla_words(sla) -> str:
    """ "1 day" for ``{"count": 1, "unit": "d"}``; "" when unreadable."""
    duration = engine_sla_duration(sla)
    if duration is None:
        return ""
    count, unit = sla["count"], ENGINE_UNITS[str(sla["unit"]).strip().lower()][0]
    if str(sla["unit"]).strip().lower() in ("m", "mo", "month", "months"):
        unit_name = "month"
    else:
        unit_name = UNIT_NAMES[unit]
    count = int(count) if float(count).is_integer() else count
    return f"{count} {unit_name}{'s' if count != 1 else ''}"


def escalation_rule_words(sla) -> list[str]:
    """The engine's escalation rules as short sentences (never raw JSON)."""
    rules = sla.get("escalationRule") if isinstance(sla, dict) else None
    out = []
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict):
            trigger = rule.get("triggerInfo") or rule.get("trigger") or {}
            kind = trigger.get("type") if isinstance(trigger, dict) else trigger
            action = rule.get("action") or {}
            what = action.get("type") if isinstance(action, dict) else action
            out.append(
                " ".join(
                    str(x)
                    for x in (
                        "escalates",
                        f"when {kind}" if kind else "",
                        f"({what})" if what else "",
                    )
                    if x
                )
            )
    return out


def stage_sla_state(sla, started_at, ended_at, *, now=None) -> dict | None:
    """What a stage SLA means now: ``{"limit": "1 day", "due_at": ..., "state": "due in 3h" |
    "breached 1d ago" | "met" | "missed by 2h" | "not started", "breached": bool}``."""
    duration = engine_sla_duration(sla)
    if duration is None:
        return None
    state = {
        "limit": engine_sla_words(sla),
        "due_at": None,
        "breached": False,
        "rules": escalation_rule_words(sla),
    }
    if started_at is None:
        state["state"] = "not started"
        return state
    due = started_at + duration
    state["due_at"] = due
    if ended_at is not None:
        if ended_at <= due:
            state["state"] = "met"
        else:
            state["state"] = f"missed by {short(ended_at - due)}"
            state["breached"] = True
        return state
    now = now or timezone.now()
    state["state"] = due_words(due, now=now)
    state["breached"] = due <= now
    return state


# --- a task's SLA state ----------------------------------------------------------------------


def task_sla_lines(task, row=None, *, now=None) -> list[dict]:
    """What a person reads about a task's service levels: ``[{"text", "state"}]`` with state
    "breached", "at_risk" or "ok" — "claim within 2h", "due in 3h", "breached 1d ago",
    "completed 2h late", "escalated: unclaimed 4 business hours". ``row``: the task's TaskSla
    (looked up with one query when not given)."""
    from django.conf import settings

    from sla.models import TaskSla

    if row is None:
        row = TaskSla.objects.filter(task_id=task.pk).first()
    now = now or timezone.now()
    risk = timedelta(minutes=settings.SLA_AT_RISK_MINUTES)
    lines = []

    def state(moment):
        return "breached" if moment <= now else "at_risk" if moment - now <= risk else "ok"

    if not task.is_terminal:
        if task.status == "UNASSIGNED" and row is not None and row.follow_up_at:
            if row.follow_up_at > now:
                text = f"claim within {short(row.follow_up_at - now)}"
            else:
                text = f"claim breached {short(now - row.follow_up_at)} ago"
            lines.append({"text": text, "state": state(row.follow_up_at)})
        if task.due_at:
            lines.append({"text": due_words(task.due_at, now=now), "state": state(task.due_at)})
    elif task.due_at and task.completed_at and task.status == "DONE":
        if task.completed_at <= task.due_at:
            lines.append({"text": "completed in time", "state": "ok"})
        else:
            late = short(task.completed_at - task.due_at)
            lines.append({"text": f"completed {late} late", "state": "breached"})
    if row is not None and row.escalated:
        lines.append({"text": row.escalated, "state": "breached"})
    return lines
