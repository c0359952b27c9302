"""Keyset pagination of the visibility union, in any ``TaskSort`` order (never OFFSET).

On PostgreSQL a page is a ``UNION ALL`` of one ordered, LIMITed subquery per branch
((assignee, status) and (group, status)), each served by its own composite index for created
and due order, then the top N of the union: an ``OR`` across branches would walk the whole
table (the branches: ``inbox.queries.branches``). A page costs two queries (ids, then rows)
whatever its size.

A bookmark is the position of the page's last row: ``[sort, has_value, value, id]``. The next
page holds the rows strictly after it in the sort order, so rows inserted or changed between
two pages never make the walk repeat a row, and rows that existed throughout and kept their
sort value are never skipped. Read-only; callable from any view, API or export.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive

from accounts.models import User
from config.compiled import fetch_in_one_trip
from inbox import parsing
from inbox.errors import ValidationError
from inbox.models import TaskStatus, UserTask
from inbox.queries.branches import (
    HISTORY_STATUSES,
    INFINITE_NULL_KEYS,
    LAST_DATE,
    after_position,
    branch_order,
    staff_branch_sql,
    staff_parts,
)
from inbox.queries.branches import _statuses as _statuses
from inbox.queries.filters import TaskFilters
from inbox.queries.rows import RELATED, rows_by_id
from inbox.queries.search import highlight
from inbox.queries.sorting import (
    DEFAULT_SORT,
    HISTORY_SORT,
    RELEVANCE,
    SORT_FIELDS,
    TaskSort,
)

SCOPES = ("visible", "mine", "own", "claimable", "history", "all")
__all__ = ["HISTORY_STATUSES", "INFINITE_NULL_KEYS", "LAST_DATE", "branch_order", "staff_parts"]
# The columns a list row reads (the HTML rows of inbox.views.row_html and the API's list):
# ``task_page(..., row_fields=LIST_ROW_FIELDS)`` leaves the rest in the database (the form,
# results, description and search vector of a task, a case's payload and history, a source's
# settings and a user's password), which would otherwise be fetched and decoded per row.
LIST_ROW_FIELDS = (
    "id",
    "wf_run_id",
    "task_type",
    "title",
    "status",
    "upstream_assignee",
    "priority",
    "due_at",
    "follow_up_at",
    "created_at",
    "updated_at",
    "completed_at",
    "context",
    "version",
    "delivery",
    "assignee__id",
    "assignee__username",
    "group__id",
    "group__name",
    "case__id",
    "case__name",
    "case__external_id",
    "case__process_key",
    "source__id",
    "source__name",
    "source__kind",
)


@dataclass
class TaskPage:
    tasks: list[UserTask]
    bookmark: str | None  # absent on the last page
    along: list[list] = field(default_factory=list)  # rows of task_page's ``along`` statements


def encode_key(value: Any) -> str:
    """An opaque bookmark for any JSON-able keyset position."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BOOKMARK_MAX_LENGTH = 1000
BOOKMARK_MAX_DEPTH = 2  # a position is a flat list or a scalar
_INVALID = {"bookmark": ["Use the bookmark of a previous page."]}


def decode_key(bookmark: str, kind: type, *, max_depth: int = BOOKMARK_MAX_DEPTH) -> Any:
    """The position inside a bookmark, which must be a ``kind``; else ValidationError.

    Bookmarks come back from clients, so they are untrusted: bounded length, strict JSON
    (``inbox.parsing.loads_json``: finite numbers, no NUL) nested at most ``max_depth`` levels."""
    try:
        if not isinstance(bookmark, str) or len(bookmark) > BOOKMARK_MAX_LENGTH:
            raise ValueError
        padded = bookmark + "=" * (-len(bookmark) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        value = parsing.loads_json(raw, max_depth=max_depth)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError
        return value
    except (ValueError, TypeError, binascii.Error, UnicodeError, ValidationError):
        raise ValidationError("Invalid bookmark", fields=_INVALID) from None


def encode_bookmark(task: UserTask, sort: TaskSort = DEFAULT_SORT) -> str:
    has_value, value = sort.position(task)
    return encode_key([str(sort), has_value, value, str(task.id)])


def decode_bookmark(bookmark: str, sort: TaskSort) -> tuple[bool, Any, uuid.UUID]:
    """(has a value, value, id) of a bookmark made under ``sort``; a bookmark of another sort
    order (or of nothing) is a ValidationError naming ``bookmark``."""
    position = decode_key(bookmark, list, max_depth=6)
    try:
        made_for, has_value, value, task_id = position
        if made_for != str(sort) or not isinstance(has_value, bool):
            raise ValueError
        if not has_value:
            value = None
        elif sort.key == RELEVANCE:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif sort.context_name is None:
            if sort.key == "priority":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
            else:
                when = parse_datetime(value) if isinstance(value, str) else None
                if when is None:
                    raise ValueError
                value = when.replace(tzinfo=UTC) if is_naive(when) else when
        return has_value, value, uuid.UUID(task_id)
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise ValidationError("Invalid bookmark", fields=_INVALID) from None


def _staff_matches(user: User, scope: str, filters: TaskFilters) -> QuerySet[UserTask] | None:
    """Every row of a staff scope as one queryset (an OR of the branches)."""
    statuses, base, base_mine, group_ids = staff_parts(user, scope, filters)
    visible = Q()
    if scope in ("visible", "mine", "own", "history") and base_mine is not None:
        mine = Q(assignee=user, status__in=statuses)
        visible |= mine & Q(group_id__in=group_ids) if filters.group else mine
    if scope in ("visible", "claimable") and group_ids:
        visible |= Q(group_id__in=group_ids, status__in=statuses)
    if not visible or not statuses:
        return None
    return base.filter(visible)


def _branches(user: User, scope: str, filters: TaskFilters) -> list[QuerySet[UserTask]]:
    """One queryset per (owner, status) pair, each an index range in (created_at, id) order."""
    if scope == "all" or (scope == "visible" and user.is_inbox_admin):
        base = filters.apply(UserTask.objects.all())
        if filters.group:
            base = base.filter(group__name=filters.group)
        if filters.assignee:
            base = base.filter(assignee__username=filters.assignee)
        if filters.status:
            return [base.filter(status=s) for s in _statuses(scope, filters)]
        return [base]
    statuses, base, base_mine, group_ids = staff_parts(user, scope, filters)
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


def default_sort(scope: str) -> TaskSort:
    """History is ordered by when the task was finished (index ``task_history_idx``), most
    recent first; every other list by creation time, oldest first."""
    return HISTORY_SORT if scope == "history" else DEFAULT_SORT


def sort_key(scope: str) -> str:
    return SORT_FIELDS[default_sort(scope).key]


def ids_sql(
    user: User,
    *,
    scope: str,
    filters: TaskFilters,
    sort: TaskSort,
    limit: int,
    bookmark: str | None = None,
    ordered: bool = True,
) -> tuple[str, list] | None:
    """The SQL of up to ``limit`` rows in ``sort`` order after ``bookmark``, its last column
    the id (None when no branch can hold a row). Counts wrap it; pages run it.

    ``ordered=False`` (counts): up to ``limit`` of those rows in no particular order. The
    union of branches then has no outer ORDER BY, so PostgreSQL runs the branches one after
    the other and stops as soon as ``limit`` rows came, instead of running every branch to its
    own limit and sorting them all."""
    if limit <= 0:
        return None
    position = decode_bookmark(bookmark, sort) if bookmark else None
    after = after_position(position, sort)
    staff = not (scope == "all" or (scope == "visible" and user.is_inbox_admin))
    if staff and sort.key == RELEVANCE:
        # Ranking reads every match anyway (no index orders by rank), so one query over the
        # whole visibility (a BitmapAnd of the search index and the owner indexes) beats one
        # search per branch.
        qs = _staff_matches(user, scope, filters)
        if qs is None:
            return None
        qs = sort.annotate(qs, filters.q).filter(after).order_by(*sort.order_by())
        sql, params = qs.values_list(sort.column, "id")[:limit].query.sql_with_params()
        return sql, list(params)
    if staff and connection.features.supports_slicing_ordering_in_compound:
        parts = staff_branch_sql(user, scope, filters, sort, limit, position)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        nulls = "DESC NULLS FIRST" if sort.descending else "ASC NULLS LAST"
        direction = "DESC" if sort.descending else "ASC"
        union = " UNION ALL ".join(f"({sql})" for sql, _ in parts)
        order = f"ORDER BY 1 {nulls}, 2 {direction} " if ordered else ""
        sql = f"SELECT * FROM ({union}) AS branches {order}LIMIT {limit:d}"
        return sql, [p for _, params in parts for p in params]
    branches = [sort.annotate(b, filters.q).filter(after) for b in _branches(user, scope, filters)]
    if not branches:
        return None
    order = sort.order_by()
    if len(branches) == 1:
        qs = branches[0].order_by(*order).values_list("id", flat=True)[:limit]
    elif connection.features.supports_slicing_ordering_in_compound:
        parts = [b.order_by(*order).values_list(sort.column, "id")[:limit] for b in branches]
        qs = parts[0].union(*parts[1:], all=True).order_by(*order)[:limit]
    else:
        combined = Q()
        for b in branches:
            combined |= Q(pk__in=b.values("pk"))
        qs = sort.annotate(UserTask.objects.filter(combined), filters.q).order_by(*order)
        qs = qs.values_list("id", flat=True)[:limit]
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def page_ids(user: User, **kwargs) -> list[uuid.UUID]:
    """Up to ``limit`` ids in ``sort`` order after ``bookmark``: one query, prepared
    (``config.compiled.prepared_cursor``): a shape of request (scope, filters, sort, the
    number of groups) always sends the same SQL text with its own values as parameters
    (``branches.py``), so once PostgreSQL finds the generic plan of a shape no costlier than
    the plans it made for the values (plan_cache_mode auto: after five executions), it stops
    planning it: a team lead's union of 21 branches took 2.4 ms to plan and 0.8 ms to run at a
    million tasks. Forcing generic plans is no option: a saved view's context filter sorted by
    due date then ran 650 ms instead of 7."""
    return page_ids_along(user, (), **kwargs)[0]


def page_ids_along(user: User, along, **kwargs) -> tuple[list[uuid.UUID], list[list]]:
    """``page_ids``, and the rows of ``along`` (``(sql, params)`` pairs: reads the caller makes
    in this request anyway, e.g. a whole page's groups for its filter form), all in one round
    trip (``config.compiled.fetch_in_one_trip``)."""
    query = ids_sql(user, **kwargs)
    statements = [query, *along] if query is not None else list(along)
    rows = fetch_in_one_trip(connection, statements, binary=0 if query is not None else -1)
    if query is None:
        return [], rows
    as_uuid = UserTask._meta.pk.to_python  # SQLite answers hex text, PostgreSQL UUIDs
    return [as_uuid(row[-1]) for row in rows[0]], rows[1:]


def task_page(
    user: User,
    *,
    scope: str = "visible",
    filters: TaskFilters | None = None,
    limit: int = 50,
    bookmark: str | None = None,
    newest_first: bool | None = None,
    sort: TaskSort | None = None,
    row_fields: tuple[str, ...] | None = None,
    along=(),
) -> TaskPage:
    """One page of the tasks ``user`` may see in ``scope``, in ``sort`` order.

    ``scope`` is visible, mine (assigned to me), own (assigned to me in any status: mine and
    history), claimable, history (my done/cancelled) or all (admins). ``sort`` defaults to the
    scope's order; ``newest_first`` (the older API) turns the default around.
    ``row_fields``: load only these columns of the rows (``LIST_ROW_FIELDS`` for a list that
    shows no more; reading any other column of such a row costs a query). Costs two queries on
    any page size. Neither is built by the ORM on every request: a staff scope's branch SQL is
    kept per shape of request (``branches.py``), and the rows of a page without a search text
    (with ``row_fields``) are read by SQL compiled once per process (``rows.py``).
    ``along``: other reads of the request, sent with the ids query (``page_ids_along``); their
    rows come back in ``TaskPage.along``.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    filters = filters or TaskFilters()
    if sort is None:
        sort = default_sort(scope)
        if newest_first is not None:
            sort = TaskSort(sort.key, newest_first)
    wanted = {"scope": scope, "filters": filters, "sort": sort, "limit": limit + 1}
    ids, along_rows = page_ids_along(user, along, bookmark=bookmark, **wanted)
    has_more = len(ids) > limit
    ids = ids[:limit]
    if not ids:
        return TaskPage(tasks=[], bookmark=None, along=along_rows)
    if row_fields is not None and not filters.q and sort.key != RELEVANCE:
        rows = rows_by_id(ids, row_fields)  # compiled once per process (rows.py)
    else:
        rows_qs = UserTask.objects.select_related(*RELATED)
        if row_fields is not None:
            rows_qs = rows_qs.only(*row_fields)
        if sort.key == RELEVANCE:
            rows_qs = sort.annotate(rows_qs, filters.q)
        rows = highlight(rows_qs, filters.q).in_bulk(ids)
    tasks = [rows[i] for i in ids if i in rows]
    bookmark = encode_bookmark(tasks[-1], sort) if has_more else None
    return TaskPage(tasks=tasks, bookmark=bookmark, along=along_rows)
