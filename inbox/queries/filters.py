"""Filters shared by the API, the web lists, saved views and exports (read-only)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive

from inbox import parsing
from inbox.errors import ValidationError
from inbox.models import OPEN_STATUSES, TaskStatus, UserTask
from inbox.queries.search import search_q

ALL_STATUSES = tuple(TaskStatus.values)


@dataclass(frozen=True)
class TaskFilters:
    """Filters shared by the API and the web lists. Names (groups, users, sources) not ids."""

    status: tuple[str, ...] = ()
    task_type: str = ""
    group: str = ""
    assignee: str = ""
    case: int | None = None
    source: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    q: str = ""
    context: dict[str, str] = field(default_factory=dict)
    unrouted: bool = False  # only tasks in no group: the admins' queue of unroutable work
    sla: str = ""  # "breached" (open, past due) or "at_risk" (open, due within SLA_AT_RISK_MINUTES)

    @classmethod
    def from_params(cls, params) -> "TaskFilters":
        """Parse query parameters; bad values raise ValidationError naming the parameter."""
        errors: dict[str, list[str]] = {}
        statuses = []
        for raw in _getlist(params, "status"):
            for value in raw.split(","):
                value = value.strip().upper()
                if not value:
                    continue
                if value not in ALL_STATUSES:
                    errors["status"] = [f"Must be one of {', '.join(ALL_STATUSES)}."]
                else:
                    statuses.append(value)
        dates = {}
        for name in ("created_after", "created_before", "due_after", "due_before"):
            raw = (params.get(name) or "").strip()
            if raw:
                parsed = parse_when(raw)
                if parsed is None:
                    errors[name] = ["Must be a date or date-time (ISO 8601)."]
                dates[name] = parsed
        case = (params.get("case") or "").strip()
        case_id = None
        if case:
            try:
                case_id = parsing.parse_id(case, field="case", what="case id")
            except ValidationError as exc:
                errors.update(exc.fields)
        context = {}
        for key in params:
            if key.startswith("context__"):
                name = key[len("context__") :]
                if not name:
                    errors[key] = ["Name a context variable after context__."]
                else:
                    context[name] = params.get(key)
        sla = (params.get("sla") or "").strip().lower()
        if sla and sla not in SLA_FILTERS:
            errors["sla"] = ["Must be breached or at_risk."]
        if errors:
            raise ValidationError("Invalid filter", fields=errors)
        return cls(
            sla=sla,
            status=tuple(dict.fromkeys(statuses)),
            task_type=(params.get("type") or "").strip(),
            group=(params.get("group") or "").strip(),
            assignee=(params.get("user") or params.get("assignee") or "").strip(),
            case=case_id,
            source=(params.get("source") or "").strip(),
            q=(params.get("q") or "").strip(),
            unrouted=(params.get("unrouted") or "").strip().lower() in ("1", "true", "on", "yes"),
            context=context,
            **dates,
        )

    def apply(self, qs: QuerySet[UserTask]) -> QuerySet[UserTask]:
        """Apply every filter but status, group and assignee (those shape the branches)."""
        if self.task_type:
            qs = qs.filter(task_type=self.task_type)
        if self.case is not None:
            qs = qs.filter(case_id=self.case)
        if self.source:
            qs = qs.filter(source__name=self.source)
        if self.created_after:
            qs = qs.filter(created_at__gte=self.created_after)
        if self.created_before:
            qs = qs.filter(created_at__lt=self.created_before)
        if self.due_after:
            qs = qs.filter(due_at__gte=self.due_after)
        if self.due_before:
            qs = qs.filter(due_at__lt=self.due_before)
        if self.q:
            qs = qs.filter(search_q(self.q))
        if self.unrouted:  # work waiting to be routed: open and in no group (a DONE one is not)
            qs = qs.filter(group__isnull=True, status__in=OPEN_STATUSES)
        for key, value in self.context.items():
            qs = qs.filter(_context_q(key, value))
        if self.sla:
            qs = qs.filter(_sla_q(self.sla))
        return qs


SLA_FILTERS = ("breached", "at_risk")


def _sla_q(kind: str) -> Q:
    """Open tasks past their due date (breached) or due within the at-risk window."""
    now = timezone.now()
    q = Q(status__in=OPEN_STATUSES, due_at__isnull=False)
    if kind == "breached":
        return q & Q(due_at__lt=now)
    return q & Q(due_at__gte=now, due_at__lt=now + timedelta(minutes=settings.SLA_AT_RISK_MINUTES))


def _getlist(params, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return params.getlist(name)
    value = params.get(name)
    return [] if value is None else [value]


def parse_when(raw: str) -> datetime | None:
    """An ISO date-time (naive means UTC) or a date (its midnight UTC)."""
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            if day is None:
                return None
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None
    if is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)  # PostgreSQL refuses offsets past 15:59; UTC never is
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00
        return None


def _context_q(key: str, raw: str) -> Q:
    """Match a context variable given as text against its JSON value (text, number or bool)."""
    candidates: list = [raw]
    try:
        decoded = parsing.loads_json(raw, field=f"context__{key}")
    except ValidationError:  # text, or a number too large to be finite (1e400): match as text
        decoded = None
    if isinstance(decoded, bool | int | float) and not isinstance(decoded, str):
        candidates.append(decoded)
    if connection.vendor == "postgresql":
        # ``@>`` containment is served by the GIN index on context.
        query = Q()
        for value in candidates:
            query |= Q(context__contains={key: value})
        return query
    # Elsewhere (SQLite) by a JSON path whose key is quoted: the ORM's ``context__<key>`` would
    # read "-1" as an array index and "a__in" as a lookup, and fail on any key it cannot parse.
    path = "$." + json.dumps(key)
    query = Q()
    for value in candidates:
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            value = float(value)  # past SQLite's INTEGER: JSON_EXTRACT reads such a number as REAL
        query |= Q(
            pk__in=RawSQL(
                "SELECT id FROM inbox_usertask WHERE JSON_EXTRACT(context, %s) = %s", (path, value)
            )
        )
    return query


def task_types_after(after: str | None = None, *, limit: int = 200) -> list[str]:
    """Distinct task types in name order, after ``after``.

    On PostgreSQL a skip scan of the type index: one index probe per type, whatever the number
    of tasks (a DISTINCT over a million rows reads them all). Elsewhere a plain DISTINCT.
    """
    if connection.vendor != "postgresql":
        qs = UserTask.objects.order_by("task_type").values_list("task_type", flat=True).distinct()
        if after:
            qs = qs.filter(task_type__gt=after)
        return list(qs[:limit])
    sql = """
        WITH RECURSIVE types(name, n) AS (
            (SELECT task_type, 1 FROM inbox_usertask WHERE task_type > %s
             ORDER BY task_type LIMIT 1)
            UNION ALL
            SELECT (SELECT task_type FROM inbox_usertask WHERE task_type > types.name
                    ORDER BY task_type LIMIT 1), n + 1
            FROM types WHERE types.name IS NOT NULL AND n < %s
        )
        SELECT name FROM types WHERE name IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [after or "", limit])
        return [row[0] for row in cursor.fetchall()]


DUE_PRESETS = {"overdue": "Overdue", "today": "Due within 24 h", "week": "Due within 7 days"}


def as_querydict(params) -> QueryDict:
    """A mutable QueryDict copy of a QueryDict or a plain dict (values: text or lists)."""
    copy = QueryDict(mutable=True)
    lists = getattr(params, "lists", None)
    items = lists() if lists else params.items()
    for key, values in items:
        copy.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    return copy


def expand_ui_params(params, now: datetime) -> QueryDict:
    """A copy of ``params`` with the web form's friendly parameters turned into filters: ``due``
    (a preset relative to ``now``: overdue, today, week) and ``ctx_key``/``ctx_value`` (one
    context variable). Saved views keep the friendly form, so "overdue" stays relative."""
    params = as_querydict(params)
    due = params.pop("due", [""])[-1]
    if due == "overdue":
        params["due_before"] = now.isoformat()
    elif due in ("today", "week"):
        params["due_after"] = now.isoformat()
        params["due_before"] = (now + timedelta(1 if due == "today" else 7)).isoformat()
    key = params.pop("ctx_key", [""])[-1].strip()
    value = params.pop("ctx_value", [""])[-1]
    if key:
        params[f"context__{key}"] = value
    return params
