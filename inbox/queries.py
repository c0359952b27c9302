"""The read side: which tasks a user may see, filters, and keyset pagination.

Visibility (DESIGN §6): a staff user sees the tasks assigned to them (any status, so their
history too) and the tasks of their groups; admins see everything. Invisible is
indistinguishable from absent.

Lists are keyset-paginated on ``(created_at, id)``. On PostgreSQL a page is a ``UNION ALL`` of
one ordered, LIMITed subquery per branch ((assignee, status) and (group, status)), each served
by its own composite index, then the top N of the union: an ``OR`` across branches would walk
the whole table. A page costs two queries (ids, then rows) whatever its size.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive

from accounts.models import User
from inbox import parsing
from inbox.errors import ValidationError
from inbox.models import Case, TaskEvent, TaskStatus, UserTask

SCOPES = ("visible", "mine", "own", "claimable", "history", "all")
HISTORY_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED)
ALL_STATUSES = tuple(TaskStatus.values)


def can_see_task(user: User, task: UserTask) -> bool:
    return (
        user.is_inbox_admin
        or (task.assignee_id is not None and task.assignee_id == user.pk)
        or (task.group_id is not None and task.group_id in user.group_ids())
    )


def visible_tasks(user: User) -> QuerySet[UserTask]:
    """Every task ``user`` may see, as one queryset (for lookups and small sets)."""
    if user.is_inbox_admin:
        return UserTask.objects.all()
    return UserTask.objects.filter(Q(assignee=user) | Q(group_id__in=user.group_ids()))


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case ``user`` may see: admins all; staff the cases holding a task they can see.

    One ``EXISTS`` per branch (``assignee = user``, ``group_id IN user's groups``), each a probe of
    the (case, created_at) index narrowed by the branch's column, rather than one ``OR`` that
    the planner cannot split."""
    cases = Case.objects.select_related("source")
    if user.is_inbox_admin:
        return cases
    of_case = UserTask.objects.filter(case=OuterRef("pk"))
    visible = Q(Exists(of_case.filter(assignee=user)))
    group_ids = user.group_ids()
    if group_ids:
        visible |= Q(Exists(of_case.filter(group_id__in=group_ids)))
    return cases.filter(visible)


def claimable_tasks(user: User, group=None) -> QuerySet[UserTask]:
    """UNASSIGNED tasks in the user's groups (or in ``group``, when it is one of them)."""
    group_ids = user.group_ids()
    if group is not None:
        gid = getattr(group, "pk", group)
        group_ids = [g for g in group_ids if g == gid]
    return UserTask.objects.filter(status=TaskStatus.UNASSIGNED, group_id__in=group_ids)


def holds_open_tasks(user: User) -> bool:
    """Whether ``user`` holds any open (ASSIGNED) task: what My tasks would list."""
    return UserTask.objects.filter(assignee=user, status=TaskStatus.ASSIGNED).exists()


def finished_by_others(user: User, task_ids) -> dict:
    """For the History list: which of ``task_ids`` someone other than ``user`` completed or
    cancelled (an admin's override), as ``{task_id: their username}``. One query."""
    rows = (
        TaskEvent.objects.filter(
            task_id__in=list(task_ids),
            kind__in=(TaskEvent.Kind.COMPLETED, TaskEvent.Kind.CANCELLED),
            actor__isnull=False,
        )
        .exclude(actor=user)
        .values_list("task_id", "actor__username")
    )
    return dict(rows)


# --- filters ------------------------------------------------------------------------------------


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
        if errors:
            raise ValidationError("Invalid filter", fields=errors)
        return cls(
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
            qs = qs.filter(title__icontains=self.q)
        if self.unrouted:  # work waiting to be routed: open and in no group (a DONE one is not)
            qs = qs.filter(
                group__isnull=True, status__in=(TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED)
            )
        for key, value in self.context.items():
            qs = qs.filter(_context_q(key, value))
        return qs


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
    query = Q()
    for value in candidates:
        query |= Q(**{f"context__{key}": value})
    return query


# --- keyset pagination -----------------------------------------------------------------------


@dataclass
class TaskPage:
    tasks: list[UserTask]
    bookmark: str | None  # absent on the last page


def encode_key(value: Any) -> str:
    """An opaque bookmark for any JSON-able keyset position."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BOOKMARK_MAX_LENGTH = 1000
BOOKMARK_MAX_DEPTH = 2  # a position is a flat list or a scalar


def decode_key(bookmark: str, kind: type) -> Any:
    """The position inside a bookmark, which must be a ``kind``; else ValidationError.

    Bookmarks come back from clients, so they are untrusted: bounded length, strict JSON
    (``inbox.parsing.loads_json``: finite numbers, no NUL) nested at most two levels."""
    try:
        if not isinstance(bookmark, str) or len(bookmark) > BOOKMARK_MAX_LENGTH:
            raise ValueError
        padded = bookmark + "=" * (-len(bookmark) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        value = parsing.loads_json(raw, max_depth=BOOKMARK_MAX_DEPTH)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError
        return value
    except (ValueError, TypeError, binascii.Error, UnicodeError, ValidationError):
        raise ValidationError(
            "Invalid bookmark", fields={"bookmark": ["Use the bookmark of a previous page."]}
        ) from None


def encode_bookmark(task: UserTask, key: str = "created_at") -> str:
    return encode_key([getattr(task, key).isoformat(), str(task.id)])


def decode_bookmark(bookmark: str) -> tuple[datetime, uuid.UUID]:
    position = decode_key(bookmark, list)
    try:
        created, task_id = position
        when = parse_datetime(created)
        if when is None:
            raise ValueError
        if is_naive(when):
            when = when.replace(tzinfo=UTC)
        return when, uuid.UUID(task_id)
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise ValidationError(
            "Invalid bookmark", fields={"bookmark": ["Use the bookmark of a previous page."]}
        ) from None


def _branches(user: User, scope: str, filters: TaskFilters) -> list[QuerySet[UserTask]]:
    """One queryset per (owner, status) pair, each an index range in (created_at, id) order."""
    statuses = filters.status or ALL_STATUSES
    if scope == "mine":
        statuses = [s for s in statuses if s == TaskStatus.ASSIGNED]
    elif scope == "claimable":
        statuses = [s for s in statuses if s == TaskStatus.UNASSIGNED]
    elif scope == "history":
        statuses = [s for s in statuses if s in HISTORY_STATUSES]
    base = filters.apply(UserTask.objects.all())

    if scope == "all" or (scope == "visible" and user.is_inbox_admin):
        if filters.group:
            base = base.filter(group__name=filters.group)
        if filters.assignee:
            base = base.filter(assignee__username=filters.assignee)
        if filters.status:
            return [base.filter(status=s) for s in statuses]
        return [base]

    group_ids = user.group_ids()
    if filters.group:
        group_ids = list(
            Group.objects.filter(name=filters.group, pk__in=group_ids).values_list("pk", flat=True)
        )
        base_mine = base.filter(group_id__in=group_ids) if group_ids else None
    else:
        base_mine = base
    branches = []
    if scope in ("visible", "mine", "own", "history") and base_mine is not None:
        branches += [base_mine.filter(assignee=user, status=s) for s in statuses]
    if scope in ("visible", "claimable"):
        for gid in group_ids:
            for s in statuses:
                branch = base.filter(group_id=gid, status=s)
                if s != TaskStatus.UNASSIGNED:
                    branch = branch.exclude(assignee=user)  # already in the assignee branch
                branches.append(branch)
    return branches


def parse_order(params, default: str = "oldest") -> bool:
    """``order=oldest|newest`` from query parameters: True when newest first."""
    raw = (params.get("order") or default).strip().lower()
    if raw not in ("oldest", "newest"):
        raise ValidationError("Invalid order", fields={"order": ["Use oldest or newest."]})
    return raw == "newest"


def sort_key(scope: str) -> str:
    """The keyset column of a scope: History is ordered by when the task was finished
    (``completed_at``, index ``task_history_idx``); every other list by creation time."""
    return "completed_at" if scope == "history" else "created_at"


def _after(bookmark: str | None, newest_first: bool, key: str = "created_at") -> Q:
    """Rows past the bookmark in the page order of ``key``."""
    if not bookmark:
        return Q()
    when, task_id = decode_bookmark(bookmark)
    op = "lt" if newest_first else "gt"
    return Q(**{f"{key}__{op}": when}) | Q(**{key: when, f"id__{op}": task_id})


def task_page(
    user: User,
    *,
    scope: str = "visible",
    filters: TaskFilters | None = None,
    limit: int = 50,
    bookmark: str | None = None,
    newest_first: bool = False,
) -> TaskPage:
    """One page of the tasks ``user`` may see in ``scope``, oldest first (or newest first).

    ``scope`` is visible, mine (assigned to me), own (assigned to me in any status: mine and
    history), claimable, history (my done/cancelled, keyed on ``completed_at``) or all (admins).
    Both orders walk the same indexes, forwards or backwards. Costs two queries on any page size.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    filters = filters or TaskFilters()
    key = sort_key(scope)
    after = _after(bookmark, newest_first, key)
    branches = [b.filter(after) for b in _branches(user, scope, filters)]
    if not branches:
        return TaskPage(tasks=[], bookmark=None)
    order = (f"-{key}", "-id") if newest_first else (key, "id")
    if len(branches) == 1:
        ids_query = branches[0].order_by(*order).values_list("id", flat=True)[: limit + 1]
    elif connection.features.supports_slicing_ordering_in_compound:
        parts = [b.order_by(*order).values_list(key, "id")[: limit + 1] for b in branches]
        union = parts[0].union(*parts[1:], all=True).order_by(*order)[: limit + 1]
        ids_query = [row[1] for row in union]
    else:
        combined = Q()
        for b in branches:
            combined |= Q(pk__in=b.values("pk"))
        ids_query = (
            UserTask.objects.filter(combined).order_by(*order).values_list("id", flat=True)
        )[: limit + 1]
    ids = list(ids_query)
    has_more = len(ids) > limit
    ids = ids[:limit]
    rows = UserTask.objects.select_related("assignee", "group", "case", "source").in_bulk(ids)
    tasks = [rows[i] for i in ids if i in rows]
    return TaskPage(
        tasks=tasks, bookmark=encode_bookmark(tasks[-1], key) if has_more and tasks else None
    )


COUNT_CAP = 100


def capped_task_count(owner_column: str, outer_pk: str, *statuses: str) -> RawSQL:
    """An annotation counting a group's, user's or case's tasks in ``statuses``, stopping at
    COUNT_CAP.

    Each count walks one owner's index range and never more than COUNT_CAP rows, and runs only
    for the rows a page shows, so a list costs the same at a million tasks; show "100+" at the
    cap.
    """
    if owner_column not in ("group_id", "assignee_id", "case_id"):
        raise ValueError(owner_column)
    placeholders = ", ".join(["%s"] * len(statuses))
    return RawSQL(
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM inbox_usertask t WHERE t.{owner_column} = "
        f"{outer_pk} AND t.status IN ({placeholders}) LIMIT %s) capped)",
        (*statuses, COUNT_CAP),
    )


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
