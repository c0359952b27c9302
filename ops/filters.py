"""The dashboard's and the stats API's filters: the task lists' parameters, parsed.

Those the rollups answer become ``StatsFilters`` fields; the list filters they cannot answer
(they would need the task table) are kept in ``not_applied`` with the reason, for the page to
name them and the API to refuse them. Bad values raise ValidationError naming the parameter.
"""

from dataclasses import dataclass

from inbox.errors import ValidationError
from inbox.models import TaskStatus
from inbox.parsing import is_ascii_int

MAX_DAYS = 730
DEFAULT_DAYS = 30
WINDOW_CHOICES = (30, 90)
ALL_STATUSES = tuple(TaskStatus.values)


# The task lists' filters the rollups cannot answer (they would need the task table), with
# why: the page names each one it did not apply; the API refuses them (400 naming the filter).
NOT_APPLIED = {
    "user": "the rollups are not kept per assignee",
    "assignee": "the rollups are not kept per assignee",
    "q": "title search needs the task table",
    "case": "the rollups are not kept per case",
    "created_after": "the history charts are per day of the window; choose the window",
    "created_before": "the history charts are per day of the window; choose the window",
    "due_after": "the open-task counts only know overdue or not",
    "due_before": "the open-task counts only know overdue or not",
    "ctx_key": "context variables need the task table",
    "ctx_value": "context variables need the task table",
}
DUE_CHOICES = {"overdue": "Overdue"}  # of the lists' due presets, the one the rollups know
OPEN_ONLY_NOTE = (
    "Status and due narrow the open-task figures; the history charts count tasks created, "
    "completed and cancelled in the window, whatever their status now."
)


@dataclass(frozen=True)
class StatsFilters:
    """The list filters the rollups can answer, under the lists' parameter names: group (or
    ``unrouted``), task type, source (by name), status and ``due=overdue`` (open-task figures),
    and the number of days of history (ending today). ``not_applied`` holds the other list
    filters given, as (parameter, value, why) triples."""

    group: str = ""
    task_type: str = ""
    source: str = ""
    days: int = DEFAULT_DAYS
    unrouted: bool = False
    status: tuple[str, ...] = ()
    due: str = ""
    not_applied: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_params(cls, params) -> "StatsFilters":
        errors: dict[str, list[str]] = {}
        raw_days = (params.get("days") or "").strip()
        days = DEFAULT_DAYS
        if raw_days:
            if not is_ascii_int(raw_days) or not 1 <= int(raw_days) <= MAX_DAYS:
                errors["days"] = [f"Must be a whole number from 1 to {MAX_DAYS}."]
            else:
                days = int(raw_days)
        statuses = []
        raw_statuses = params.getlist("status") if hasattr(params, "getlist") else []
        if not hasattr(params, "getlist") and params.get("status"):
            raw_statuses = [params.get("status")]
        for raw in raw_statuses:
            for value in raw.split(","):
                value = value.strip().upper()
                if not value:
                    continue
                if value not in ALL_STATUSES:
                    errors["status"] = [f"Must be one of {', '.join(ALL_STATUSES)}."]
                elif value not in statuses:
                    statuses.append(value)
        due = (params.get("due") or "").strip()
        not_applied = []
        if due and due not in DUE_CHOICES:
            if due in ("today", "week"):
                not_applied.append(("due", due, "the open-task counts only know overdue or not"))
                due = ""
            else:
                errors["due"] = ["Must be overdue (the dashboard knows overdue or not)."]
        unrouted = (params.get("unrouted") or "").strip().lower() in ("1", "true", "on", "yes")
        group = (params.get("group") or "").strip()
        if unrouted and group:
            errors["unrouted"] = ["Unrouted tasks are in no group: choose a group or unrouted."]
        for name in params:
            value = params.get(name)
            if not (value or "").strip():
                continue
            if name in NOT_APPLIED:
                not_applied.append((name, value, NOT_APPLIED[name]))
            elif name.startswith("context__"):
                not_applied.append((name, value, "context variables need the task table"))
        if errors:
            raise ValidationError("Invalid filter", fields=errors)
        return cls(
            group=group,
            task_type=(params.get("type") or "").strip(),
            source=(params.get("source") or "").strip(),
            days=days,
            unrouted=unrouted,
            status=tuple(statuses),
            due=due,
            not_applied=tuple(not_applied),
        )

    def as_params(self) -> dict[str, str]:
        """The applied filters as query parameters (links, CSV downloads)."""
        params = {
            "group": self.group,
            "type": self.task_type,
            "source": self.source,
            "status": ",".join(self.status),
            "due": self.due,
            "unrouted": "1" if self.unrouted else "",
        }
        params = {k: v for k, v in params.items() if v}
        if self.days != DEFAULT_DAYS:
            params["days"] = str(self.days)
        return params

    def narrows_open_only(self) -> bool:
        return bool(self.status or self.due)

    def refuse_not_applied(self) -> None:
        """For the API: a list filter the rollups cannot answer is a 400 naming it."""
        if self.not_applied:
            raise ValidationError(
                "Filter not available on the stats",
                fields={
                    name: [f"Not available here: {why}. Use GET /api/v1/tasks/ for it."]
                    for name, _, why in self.not_applied
                },
            )
