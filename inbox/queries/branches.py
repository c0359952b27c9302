"""The branches of a staff list's visibility union and the keyset bound each one starts at,
as SQL compiled once per shape of request (PostgreSQL).

A staff page is a ``UNION ALL`` of one ordered, LIMITed subquery per (owner, status) pair
(``inbox.queries.paging``): a team lead in ten groups has 21. The branches differ only by their
group, status and user, so three querysets (own tasks; a group's open tasks; a group's other
tasks) are compiled with placeholders and each branch fills in its own values. Those three
compilations (filters, keyset bound, ordering) still cost more CPU than PostgreSQL spends on
the page, so they are kept per process by everything their SQL depends on besides the user,
the groups and the keyset position, which are placeholders too: the scope, the filters' values,
the sort, the limit and the bookmark's shape (``_TEMPLATES``). Filters whose SQL depends on
the moment (sla, due dates: the due presets are relative to now) or on a lookup (a group by
name) are compiled on every request. Each compiled template is checked to hold every
placeholder exactly where expected; otherwise the request compiles with its real values.

Read-only, no query of its own but the group-name lookup of ``staff_parts``; callable from any
selector.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import BooleanField, DateTimeField, F, Q
from django.db.models.expressions import RawSQL

from accounts.models import User
from inbox.models import TaskStatus, UserTask
from inbox.queries.filters import ALL_STATUSES, TaskFilters
from inbox.queries.sorting import SORT_FIELDS, SORT_VALUE, TaskSort

HISTORY_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED)


def _statuses(scope: str, filters: TaskFilters) -> list[str]:
    statuses = filters.status or ALL_STATUSES
    if scope == "mine":
        return [s for s in statuses if s == TaskStatus.ASSIGNED]
    if scope == "claimable":
        return [s for s in statuses if s == TaskStatus.UNASSIGNED]
    if scope == "history":
        return [s for s in statuses if s in HISTORY_STATUSES]
    return list(statuses)


def staff_parts(user: User, scope: str, filters: TaskFilters):
    """(statuses, base, base of the assignee branches or None, group ids) of a staff scope."""
    statuses = _statuses(scope, filters)
    base = filters.apply(UserTask.objects.all())
    group_ids = user.group_ids()
    if filters.group:
        group_ids = list(
            Group.objects.filter(name=filters.group, pk__in=group_ids).values_list("pk", flat=True)
        )
        base_mine = base.filter(group_id__in=group_ids) if group_ids else None
    else:
        base_mine = base
    return statuses, base, base_mine, group_ids


def _row_after(column: str, op: str, value, task_id: uuid.UUID) -> RawSQL:
    """``(column, id) > (value, task_id)`` (or ``<``) on the task table."""
    quote = connection.ops.quote_name
    table = quote(UserTask._meta.db_table)
    return RawSQL(
        f"({table}.{quote(column)}, {table}.{quote('id')}) {op} (%s, %s)",
        (value, task_id),
        output_field=BooleanField(),
    )


# Due and follow-up dates may be missing (NULL: last ascending, first descending). On
# PostgreSQL the staff branches order by COALESCE(column, LAST_DATE) (the same order: no real
# date is that late; 'infinity' would be the same, but Python cannot load it) on expression
# indexes (migration 0012), so that "after the bookmark" is ONE row comparison, an index
# bound, instead of ``(column, id) > (…) OR column IS NULL``, which is only a filter: each
# branch then read all of its rows before the bookmark.
INFINITE_NULL_KEYS = ("due", "follow_up")
LAST_DATE = "'9999-12-31 23:59:59+00'::timestamptz"  # as in migration 0012's indexes


def _infinite_nulls(sort: TaskSort) -> bool:
    return sort.key in INFINITE_NULL_KEYS and connection.vendor == "postgresql"


def _coalesced(sort: TaskSort) -> str:
    quote = connection.ops.quote_name
    column = f"{quote(UserTask._meta.db_table)}.{quote(SORT_FIELDS[sort.key])}"
    return f"COALESCE({column}, {LAST_DATE})"


def branch_order(sort: TaskSort) -> tuple:
    """The ORDER BY of one branch: ``sort.order_by()``, or for due and follow-up dates on
    PostgreSQL the same order written as the expression indexes hold it."""
    if not _infinite_nulls(sort):
        return sort.order_by()
    key = RawSQL(_coalesced(sort), [], output_field=DateTimeField())
    if sort.descending:
        return (key.desc(), F("id").desc())
    return (key.asc(), F("id").asc())


def after_position(position: tuple[bool, Any, uuid.UUID] | None, sort: TaskSort) -> Q:
    """Rows strictly past ``position`` (a decoded bookmark: has a value, value, id) in
    ``sort`` order (missing values last ascending); every row when None."""
    if position is None:
        return Q()
    has_value, value, task_id = position
    if _infinite_nulls(sort):
        quote = connection.ops.quote_name
        table = quote(UserTask._meta.db_table)
        op = "<" if sort.descending else ">"
        return Q(
            RawSQL(
                f"({_coalesced(sort)}, {table}.{quote('id')}) {op} "
                f"(COALESCE(%s::timestamptz, {LAST_DATE}), %s)",
                (value if has_value else None, task_id),
                output_field=BooleanField(),
            )
        )
    path, desc = sort.lookup, sort.descending
    op = "lt" if desc else "gt"
    missing = Q(**{f"{path}__isnull": True})
    if not has_value:  # among the missing ones: last ascending, first descending
        same = missing & Q(**{f"id__{op}": task_id})
        return same | ~missing if desc else same
    if value is None:  # a JSON null context value: the lowest jsonb value
        present_null = Q(**{path: None}) & ~missing
        if desc:
            return present_null & Q(id__lt=task_id)
        beyond = ~missing & ~Q(**{path: None})
        return (present_null & Q(id__gt=task_id)) | beyond | missing
    if not sort.annotated and connection.vendor == "postgresql":
        # A row comparison is one index range on (…, column, id); the equivalent OR is not.
        after = Q(_row_after(SORT_FIELDS[sort.key], ">" if op == "gt" else "<", value, task_id))
    else:
        after = Q(**{f"{path}__{op}": value}) | (Q(**{path: value}) & Q(**{f"id__{op}": task_id}))
    if sort.context_name:
        after &= ~missing  # jsonb comparisons with a missing key are NULL, never true
    return after if desc else after | missing


# Placeholders compiled into a branch's SQL once, then replaced by each branch's own values: a
# user in 3 groups has 16 branches, and building 16 querysets cost more than running them.
_GROUP_MARK = -7_000_000_001  # never a group id
_STATUS_MARK = "\x01status"  # never a status
_USER_MARK = -7_000_000_002  # never a user id
_AFTER_ID_MARK = uuid.UUID("f0f0f0f0-0000-4000-8000-00000000f0f0")  # never a task id (uuid4)
# A bookmark's value, by type: the dates and the priority a cached template can hold
_AFTER_VALUE_MARKS = {
    datetime: datetime(1, 1, 1, 0, 0, 0, 7, tzinfo=UTC),
    int: -7_000_000_003,  # priorities are 32-bit
}
_TEMPLATES: dict[tuple, dict | None] = {}
_TEMPLATES_MAX = 512


def _templates_key(scope: str, filters: TaskFilters, sort: TaskSort, limit: int, position):
    """What a scope's compiled templates depend on besides the user, the groups and the
    bookmark's values; None when they are compiled per request."""
    if filters.group or filters.sla or filters.due_after or filters.due_before:
        return None
    shape = None
    if position is not None:
        has_value, value, _ = position
        if sort.annotated or (has_value and type(value) not in _AFTER_VALUE_MARKS):
            return None
        shape = (has_value, type(value).__name__)
    return (connection.vendor, scope, repr(filters), str(sort), limit, shape)


def _mark(value):
    """The placeholder standing for ``value`` in a cached template (by its type)."""
    return _AFTER_VALUE_MARKS[type(value)]


def _compile_templates(assignee: int, parts, scope: str, filters, sort: TaskSort, limit, position):
    """``{"mine", "open", "others"}``: (sql, params) of each kind of branch of ``scope``, with
    ``_GROUP_MARK`` and ``_STATUS_MARK`` for each branch's own group and status, and
    ``assignee`` (the user's id, or ``_USER_MARK``) as the user; None when the scope has no such
    branch kind. ``parts``: ``staff_parts`` of the request; ``position`` may hold the
    ``_AFTER_*`` marks instead of the bookmark's values."""
    _, base, base_mine, _ = parts
    after = after_position(position, sort)
    order = branch_order(sort)
    column = sort.column
    if _infinite_nulls(sort):  # select what the index holds: an index-only walk
        column = SORT_VALUE

    def compiled(qs) -> tuple[str, list]:
        qs = sort.annotate(qs, filters.q)
        if column != sort.column:
            qs = qs.annotate(**{column: RawSQL(_coalesced(sort), [], DateTimeField())})
        qs = qs.filter(after).order_by(*order)
        sql, params = qs.values_list(column, "id")[:limit].query.sql_with_params()
        return sql, list(params)

    templates = {"mine": None, "open": None, "others": None}
    if scope in ("visible", "mine", "own", "history") and base_mine is not None:
        templates["mine"] = compiled(base_mine.filter(assignee_id=assignee, status=_STATUS_MARK))
    if scope in ("visible", "claimable"):
        statuses = _statuses(scope, filters)
        if TaskStatus.UNASSIGNED in statuses:
            templates["open"] = compiled(
                base.filter(group_id=_GROUP_MARK, status=TaskStatus.UNASSIGNED)
            )
        if any(s != TaskStatus.UNASSIGNED for s in statuses):
            templates["others"] = compiled(
                base.filter(group_id=_GROUP_MARK, status=_STATUS_MARK).exclude(assignee_id=assignee)
            )
    return templates


def _marks_in_place(templates: dict, position) -> bool:
    """Whether every cached template holds each placeholder exactly as often as its branch
    kind needs it (a filter value equal to a placeholder would otherwise be replaced)."""
    after = {}
    if position is not None:
        has_value, value, _ = position
        after[_AFTER_ID_MARK] = 1
        if has_value and value is not None:
            after[_mark(value)] = 1
    wanted = {
        "mine": {_USER_MARK: 1, _STATUS_MARK: 1, _GROUP_MARK: 0, **after},
        "open": {_USER_MARK: 0, _STATUS_MARK: 0, _GROUP_MARK: 1, **after},
        "others": {_USER_MARK: 1, _STATUS_MARK: 1, _GROUP_MARK: 1, **after},
    }
    for kind, template in templates.items():
        if template is None:
            continue
        for mark, times in wanted[kind].items():
            if sum(1 for p in template[1] if type(p) is type(mark) and p == mark) != times:
                return False
    return True


def _templates(user, parts, scope, filters, sort, limit, position) -> tuple[dict, dict]:
    """(templates, {placeholder: value}) for this request: cached ones with every placeholder
    to fill, or freshly compiled ones with the real user and bookmark. ``parts``: a function
    returning the request's ``staff_parts``."""
    key = _templates_key(scope, filters, sort, limit, position)
    if key is not None:
        templates = _TEMPLATES.get(key)
        marked = None
        if position is not None:
            has_value, value, _ = position
            marked = (has_value, _mark(value) if has_value else value, _AFTER_ID_MARK)
        if templates is None and key not in _TEMPLATES:
            templates = _compile_templates(_USER_MARK, parts(), scope, filters, sort, limit, marked)
            if not _marks_in_place(templates, marked):
                templates = None
            if len(_TEMPLATES) >= _TEMPLATES_MAX:
                _TEMPLATES.clear()
            _TEMPLATES[key] = templates
        if templates is not None:
            fill = {_USER_MARK: user.pk}
            if position is not None:
                fill[_AFTER_ID_MARK] = position[2]
                if marked[0]:
                    fill[marked[1]] = position[1]
            return templates, fill
    return _compile_templates(user.pk, parts(), scope, filters, sort, limit, position), {}


def staff_branch_sql(
    user: User, scope: str, filters: TaskFilters, sort: TaskSort, limit: int, position
) -> list[tuple[str, list]]:
    """The branches of a staff scope as SQL, each its ``limit`` first rows after ``position``
    (a decoded bookmark or None) in ``sort`` order, selecting (sort value, id): PostgreSQL; the
    same branches as ``paging._branches``. Compiles at most three querysets, none when this
    shape of request was compiled before in this process."""
    statuses = _statuses(scope, filters)
    if not statuses:
        return []
    found = []

    def parts():  # built only when something is compiled, and once
        if not found:
            found.append(staff_parts(user, scope, filters))
        return found[0]

    # by name: a lookup among the user's groups (staff_parts); else all of them
    group_ids = parts()[3] if filters.group else user.group_ids()
    templates, fill = _templates(user, parts, scope, filters, sort, limit, position)

    def filled(template, group=None, status=None) -> tuple[str, list]:
        sql, params = template
        values = []
        for value in params:
            if type(value) is int and value == _GROUP_MARK:
                value = group
            elif type(value) is str and value == _STATUS_MARK:
                value = status
            elif fill and type(value) in (int, uuid.UUID, datetime) and value in fill:
                value = fill[value]
            values.append(value)
        return sql, values

    branches = []
    if templates["mine"] is not None:
        branches += [filled(templates["mine"], status=s) for s in statuses]
    if scope in ("visible", "claimable") and group_ids:
        for gid in group_ids:
            for s in statuses:
                kind = "open" if s == TaskStatus.UNASSIGNED else "others"
                branches.append(filled(templates[kind], group=gid, status=s))
    return branches
