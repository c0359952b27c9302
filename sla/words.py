"""SLA state in words a person reads: "claim within 2h", "due in 3h", "breached 1d ago",
"escalated: unclaimed 4 business hours". Also turns engine SLA JSON (UiPath stage SLAs:
count + unit) into a due time. Reads only; no queries unless stated."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60))


def short(delta: timedelta) -> str:
    """``timedelta(hours=26)`` -> "1d" (the largest whole unit, like "3h", "25m", "2w")."""
    seconds = abs(int(delta.total_seconds()))
    for unit, size in UNITS:
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now" if seconds < 1 else f"{seconds}s"


def duration_words(delta: timedelta | None, *, business: bool) -> str:
    """``4:00:00`` in business time -> "4 business hours"; wall-clock -> "4 hours"."""
    seconds = int((delta or timedelta(0)).total_seconds())
    kind = "business " if business else ""
    for name, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            if business and name in ("week", "day"):
                break  # a business day is not 24 hours: say the hours
            return f"{n} {kind}{name}{'s' if n != 1 else ''}"
    hours, rest = divmod(seconds, 3600)
    if hours and rest % 60 == 0:
        return f"{hours}h {rest // 60}m {kind}time".replace(" 0m", "")
    minutes = seconds // 60
    return f"{minutes} {kind}minute{'s' if minutes != 1 else ''}"


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
    "m": ("minutes", 1),
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
    "mo": ("days", 30),
    "month": ("days", 30),
    "months": ("days", 30),
}
UNIT_NAMES = {"minutes": "minute", "hours": "hour", "days": "day", "weeks": "week"}


def engine_sla_duration(sla) -> timedelta | None:
    """A UiPath stage SLA ``{"count": 1, "unit": "d", "escalationRule": [...]}`` as a duration
    (None when it is not one: no count, an unknown unit). UiPath's "m" is minutes here."""
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
    if str(sla["unit"]).strip().lower() in ("mo", "month", "months"):
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
