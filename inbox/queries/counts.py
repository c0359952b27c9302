"""Capped counts: cheap at a million tasks because no count reads more than COUNT_CAP rows."""

from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from inbox.errors import ValidationError
from inbox.models import TaskStatus, UserTask
from inbox.queries.filters import TaskFilters
from inbox.queries.paging import ids_sql, staff_parts
from inbox.queries.sorting import DEFAULT_SORT, sort_from_params
from inbox.queries.views import merged_params

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


# --- navigation counts ------------------------------------------------------------------------


OPEN_STATUSES = ("UNASSIGNED", "ASSIGNED")


@dataclass
class NavCounts:
    """Capped counts of open tasks: the user's own, claimable (all and per group), per view."""

    cap: int
    mine: int = 0
    claimable: int = 0
    groups: dict[int, int] = field(default_factory=dict)
    views: dict[int, int] = field(default_factory=dict)

    def label(self, n: int) -> str:
        return f"{self.cap:,}+" if n > self.cap else f"{n:,}"


def capped_counts(
    queries: list[tuple[str, list] | QuerySet | None], *, head: tuple[str, list] | None = None
) -> list:
    """The row counts of ``queries`` (SQL with params or querysets, each already LIMITed), in
    ONE round trip; after the values of ``head`` (select-list SQL and its params) if given."""
    parts, params = ([head[0]], list(head[1])) if head else ([], [])
    for i, query in enumerate(queries):
        if query is None:
            parts.append("0")
            continue
        sql, query_params = query.query.sql_with_params() if isinstance(query, QuerySet) else query
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{i})")
        params.extend(query_params)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    n_head = len(row) - len(queries)
    return list(row[:n_head]) + [int(n) for n in row[n_head:]]


# Own and claimable counts need no ORDER BY: each reads at most ``limit`` entries of one
# (owner, status, …) index range. Per-group counts are one subquery per element of the group-id array, so
# the statement's shape (and its planning) does not grow with the number of groups.
_NAV_SQL = """
  (SELECT COUNT(*) FROM (SELECT 1 FROM inbox_usertask
     WHERE assignee_id = %s AND status = 'ASSIGNED' LIMIT %s) mine),
  (SELECT COUNT(*) FROM (SELECT 1 FROM inbox_usertask
     WHERE group_id = ANY(%s::int[]) AND status = 'UNASSIGNED' LIMIT %s) claimable),
  ARRAY(SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM inbox_usertask
                  WHERE group_id = g.id AND status = 'UNASSIGNED' LIMIT %s) one)
          FROM unnest(%s::int[]) WITH ORDINALITY AS g(id, n) ORDER BY g.n)"""


# Compiled view-count SQL per process, by everything it depends on (the filters' values, the
# user, their groups, the statuses and the limit): compiling the two querysets cost more than
# running them. Filters whose SQL depends on the moment (sla) or on a lookup (group by name)
# are compiled every time. Bounded: cleared when full.
_VIEW_SQL: dict[tuple, tuple[str, list] | None] = {}
_VIEW_SQL_MAX = 1024


def _view_count_sql(user, filters: TaskFilters, statuses: tuple, limit: int):
    """``_compile_view_count`` memoised per process (see ``_VIEW_SQL``)."""
    if filters.sla or filters.group:
        return _compile_view_count(user, filters, statuses, limit)
    key = (repr(filters), user.pk, tuple(user.group_ids()), statuses, limit)
    if key not in _VIEW_SQL:
        if len(_VIEW_SQL) >= _VIEW_SQL_MAX:
            _VIEW_SQL.clear()
        _VIEW_SQL[key] = _compile_view_count(user, filters, statuses, limit)
    return _VIEW_SQL[key]


def _compile_view_count(user, filters: TaskFilters, statuses: tuple, limit: int):
    """Up to ``limit`` open tasks a staff ``user`` sees through a view's ``filters``, as SQL
    whose shape does not grow with the user's groups (PostgreSQL).

    The list's union has one subquery per (group, status): ten groups made 22, and planning
    them cost 4-20 ms a count at a million tasks, more than running them. Here the group
    branches are ONE subquery, LATERAL over the (group, status) pairs: each still walks its
    own (group, status, created_at) index range and stops at ``limit`` matches (ordered, so
    the planner does not pick a BitmapAnd with the whole context index), and the outer LIMIT
    stops the walk once ``limit`` rows came from all of them."""
    statuses_, base, base_mine, group_ids = staff_parts(user, "visible", filters)
    statuses = [s for s in statuses_ if s in statuses]
    if not statuses:
        return None
    parts, params = [], []
    if base_mine is not None:
        mine = base_mine.filter(assignee=user, status__in=statuses).values("id")[:limit]
        sql, mine_params = mine.query.sql_with_params()
        parts.append(f"SELECT 1 FROM ({sql}) AS mine")
        params += mine_params
    if group_ids:
        branch = (
            base.filter(group_id=RawSQL("g.id", []), status=RawSQL("s.status", []))
            .exclude(Q(assignee=user) & ~Q(status=TaskStatus.UNASSIGNED))  # counted as mine
            .order_by("created_at", "id")
            .values("id")[:limit]
        )
        sql, branch_params = branch.query.sql_with_params()
        parts.append(
            "SELECT 1 FROM unnest(%s::int[]) AS g(id) CROSS JOIN unnest(%s::text[]) AS s(status),"
            f" LATERAL ({sql}) AS one"
        )
        params += [list(group_ids), list(statuses), *branch_params]
    if not parts:
        return None
    union = " UNION ALL ".join(f"({part})" for part in parts)
    return f"SELECT 1 FROM ({union}) AS visible LIMIT {limit:d}", params


def nav_counts(user, views, *, cap: int) -> NavCounts:
    """Open-task counts for the navigation, each stopping at ``cap`` + 1 rows: one query.

    ``views`` are the pinned ``ListView`` rows; each counts the open tasks ``user`` may see
    through it (its filters narrow the user's own visibility: the list's own branches). On
    other databases than PostgreSQL the own, claimable and group counts go through the list
    queries."""
    limit = cap + 1
    all_groups = list(user.group_ids())
    group_ids = all_groups[:20]
    view_queries, counted_views = [], []
    for view in views:
        try:
            params = merged_params(view, {})
            filters = TaskFilters.from_params(params)
            sort_from_params(params, "visible")
        except ValidationError:
            continue  # a view saved before a rule changed: no count rather than an error
        statuses = tuple(s for s in (filters.status or OPEN_STATUSES) if s in OPEN_STATUSES)
        if not statuses:
            continue
        filters = replace(filters, status=statuses)
        # Staff on PostgreSQL: one LATERAL walk over their groups (_compile_view_count).
        # Otherwise the list's own branches, each ordered (an unordered count picked a
        # BitmapAnd with the whole context index, 15x slower at a million tasks) but the
        # union unordered (ordered=False): the count stops at ``limit`` rows in all, not
        # ``limit`` per branch.
        if connection.vendor == "postgresql" and not user.is_inbox_admin:
            query = _view_count_sql(user, filters, statuses, limit)
        else:
            query = ids_sql(
                user,
                scope="visible",
                filters=filters,
                sort=DEFAULT_SORT,
                limit=limit,
                ordered=False,
            )
        view_queries.append(query)
        counted_views.append(view.pk)
    if connection.vendor == "postgresql":
        head = (_NAV_SQL, [user.pk, limit, all_groups, limit, limit, group_ids])
        mine, claimable, per_group, *views_counted = capped_counts(view_queries, head=head)
    else:
        queries = [
            ids_sql(user, scope="mine", filters=TaskFilters(), sort=DEFAULT_SORT, limit=limit),
            ids_sql(user, scope="claimable", filters=TaskFilters(), sort=DEFAULT_SORT, limit=limit),
        ]
        queries += [
            UserTask.objects.filter(group_id=gid, status=TaskStatus.UNASSIGNED).values_list(
                "id", flat=True
            )[:limit]
            for gid in group_ids
        ]
        numbers = capped_counts(queries + view_queries)
        mine, claimable = numbers[0], numbers[1]
        per_group = numbers[2 : 2 + len(group_ids)]
        views_counted = numbers[2 + len(group_ids) :]
    counts = NavCounts(cap=cap, mine=mine, claimable=claimable)
    counts.groups = dict(zip(group_ids, per_group, strict=True))
    counts.views = dict(zip(counted_views, views_counted, strict=True))
    return counts
