"""The dashboard's and the stats API's filters: the task lists' parameters, parsed.

Group (or ``unrouted``), task type, source, status, ``due=overdue`` and the window are answered
by the rollups and become ``StatsFilters`` fields. Every other list filter (assignee, search,
case, created/due dates, ``due=today|week``, context variables, SLA) is parsed by the lists' own
``TaskFilters`` (same names, same validation) into ``StatsFilters.tasks``; with one of those
given, ``ops.live`` computes the figures from the task table instead of the rollups. Bad values
raise ValidationError naming the parameter.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from inbox.errors import ValidationError
from inbox.models import TaskStatus
from inbox.parsing import is_ascii_int
from inbox.queries.filters import TaskFilters, expand_ui_params

MAX_DAYS = 730
DEFAULT_DAYS = 30
WINDOW_CHOICES = (30, 90)
ALL_STATUSES = tuple(TaskStatus.values)


# The task lists' filters the rollups cannot answer: given one, the figures are computed from
# the task table (``ops.live``), narrowed by the lists' own filter code.
LIST_FILTERS = (
    "user",
    "assignee",
    "q",
    "case",
    "created_after",
    "created_before",
    "due_after",
    "due_before",
    "ctx_key",
    "ctx_value",
    "sla",
)
CONTEXT_PREFIX = "context__"
DUE_CHOICES = {  # the lists' due presets; overdue is in the rollups, the others need the tasks
    "overdue": "Overdue",
    "today": "Due within 24 h",
    "week": "Due within 7 days",
}
OPEN_ONLY_NOTE = (
    "Status and due narrow the open-task figures; the history charts count tasks created, "
    "completed and cancelled in the window, whatever their status now."
)


def _is_list_filter(name: str) -> bool:
    return name in LIST_FILTERS or name.startswith(CONTEXT_PREFIX)


@dataclass(frozen=True)
class StatsFilters:
    """The dashboard's filters under the lists' parameter names.

    Answered by the rollups: group (or ``unrouted``), task type, source (by name), status and
    ``due`` (open-task figures only) and the number of days of history (ending today).
    ``list_params`` holds the other list filters as given ((parameter, value) pairs, for the
    page and its links); ``tasks`` is the same filters parsed by the lists' ``TaskFilters``.
    ``needs_tasks()`` says whether the figures must come from the task table."""

    group: str = ""
    task_type: str = ""
    source: str = ""
    days: int = DEFAULT_DAYS
    unrouted: bool = False
    status: tuple[str, ...] = ()
    due: str = ""
    list_params: tuple[tuple[str, str], ...] = ()
    tasks: TaskFilters | None = None

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
        if due and due not in DUE_CHOICES:
            errors["due"] = [f"Must be one of {', '.join(DUE_CHOICES)}."]
        unrouted = (params.get("unrouted") or "").strip().lower() in ("1", "true", "on", "yes")
        group = (params.get("group") or "").strip()
        if unrouted and group:
            errors["unrouted"] = ["Unrouted tasks are in no group: choose a group or unrouted."]
        list_params = tuple(
            (name, params.get(name))
            for name in params
            if _is_list_filter(name) and (params.get(name) or "").strip()
        )
        tasks = None
        if list_params:
            try:
                tasks = TaskFilters.from_params(expand_ui_params(dict(list_params), timezone.now()))
            except ValidationError as error:  # the lists' own messages, under the same names
                errors.update(error.fields)
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
            list_params=list_params,
            tasks=tasks,
        )

    def as_params(self) -> dict[str, str]:
        """Every filter as query parameters (links, CSV downloads)."""
        params = {
            "group": self.group,
            "type": self.task_type,
            "source": self.source,
            "status": ",".join(self.status),
            "due": self.due,
            "unrouted": "1" if self.unrouted else "",
            **dict(self.list_params),
        }
        params = {k: v for k, v in params.items() if v}
        if self.days != DEFAULT_DAYS:
            params["days"] = str(self.days)
        return params

    def narrows_open_only(self) -> bool:
        return bool(self.status or self.due)

    def needs_tasks(self) -> bool:
        """Whether a filter the rollups cannot answer was given: a list filter, or a due
        preset other than overdue (the open-task snapshot knows overdue or not)."""
        return self.tasks is not None or self.due not in ("", "overdue")

    def list_filters(self) -> TaskFilters:
        """The list filters to narrow every figure by (none: an empty ``TaskFilters``)."""
        return self.tasks or TaskFilters()

    def due_filters(self, now: datetime) -> TaskFilters:
        """The due preset as the lists read it (relative to ``now``), for the open figures."""
        if not self.due:
            return TaskFilters()
        return TaskFilters.from_params(expand_ui_params({"due": self.due}, now))
