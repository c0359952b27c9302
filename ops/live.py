"""The dashboard's figures from the task table, for the list filters the rollups cannot answer.

``ops.stats`` calls these when a filter needs the tasks themselves (assignee, search, case,
created/due dates, ``due=today|week``, context variables, SLA): the tasks are narrowed by the
lists' own ``TaskFilters.apply`` (and the assignee as the lists' pages narrow it), and by the
dashboard's group / type / source / team scope, then counted with set-based SQL (GROUP BY,
conditional counts, ``percentile_disc``); no task row is brought into Python on PostgreSQL.

Bound on the work: the history figures read only tasks created (``task_created_idx``) or
finished (``ops_task_completed_idx``) in the window's days; the open figures read the open
tasks matching the filters, through whichever index the filter has (assignee, the GIN indexes
of search and context, case). Read-only; any layer above the selectors may call it.
"""

from datetime import date, datetime, timedelta
from math import ceil

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from inbox.models import OPEN_STATUSES, TaskStatus, UserTask
from ops import buckets
from ops.filters import StatsFilters
from ops.rollup import day_bounds, first_claim_subquery

NO_NAME = "(none)"


def matching_tasks(filters: StatsFilters, where: Q) -> QuerySet[UserTask]:
    """Tasks matching the dashboard's scope ``where`` and the list filters, as the lists read
    them (``TaskFilters.apply``, then the assignee by username as the list pages do)."""
    list_filters = filters.list_filters()
    tasks = list_filters.apply(UserTask.objects.filter(where))
    if list_filters.assignee:
        tasks = tasks.filter(assignee__username=list_filters.assignee)
    return tasks.order_by()


def _age_counts(now: datetime) -> dict:
    """One conditional count per age bucket, with the rollup's bounds (``refresh_open_snapshot``)."""
    counts = {}
    for index, (_, lower) in enumerate(buckets.AGES):
        upper = buckets.AGES[index + 1][1] if index + 1 < len(buckets.AGES) else None
        if index == 0:
            q = Q(created_at__gt=now - timedelta(seconds=upper))
        elif upper is None:
            q = Q(created_at__lte=now - timedelta(seconds=lower))
        else:
            q = Q(created_at__lte=now - timedelta(seconds=lower)) & Q(
                created_at__gt=now - timedelta(seconds=upper)
            )
        counts[f"age{index}"] = Count("pk", filter=q)
    return counts


def open_figures(tasks: QuerySet[UserTask], filters: StatsFilters, now: datetime) -> dict:
    """Open, unclaimed and overdue counts (in total and by group, type and source) and the age
    buckets of the open ``tasks``, narrowed by status and due as the open snapshot is.

    One GROUP BY (group, type, source) query; the breakdowns are sums of its rows."""
    statuses = [s for s in (filters.status or OPEN_STATUSES) if s in OPEN_STATUSES]
    open_tasks = filters.due_filters(now).apply(tasks.filter(status__in=statuses))
    rows = list(
        open_tasks.values("group__name", "task_type", "source__name")
        .annotate(
            open=Count("pk"),
            unclaimed=Count("pk", filter=Q(status=TaskStatus.UNASSIGNED)),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            **_age_counts(now),
        )
        .order_by()
    )
    totals = {"open": 0, "unclaimed": 0, "overdue": 0}
    ages = [0] * len(buckets.AGES)
    by: dict[str, dict[str, dict]] = {"group": {}, "type": {}, "source": {}}
    for row in rows:
        for name in totals:
            totals[name] += row[name]
        for index in range(len(ages)):
            ages[index] += row[f"age{index}"]
        for dimension, column in (
            ("group", "group__name"),
            ("type", "task_type"),
            ("source", "source__name"),
        ):
            label = row[column] if row[column] not in (None, "") else NO_NAME
            figures = by[dimension].setdefault(
                label, {dimension: label, "open": 0, "unclaimed": 0, "overdue": 0}
            )
            for name in totals:
                figures[name] += row[name]

    def breakdown(dimension):
        return sorted(by[dimension].values(), key=lambda r: (-r["open"], r[dimension]))

    return {
        "open_as_of": now,
        "totals": totals,
        "open_by_group": breakdown("group"),
        "open_by_type": breakdown("type"),
        "open_by_source": breakdown("source"),
        "age_buckets": [
            {"bucket": label, "open": n} for (label, _), n in zip(buckets.AGES, ages, strict=True)
        ],
    }


def history_figures(tasks: QuerySet[UserTask], start: date, end: date) -> dict:
    """Created, completed, cancelled and late-completed per day from ``start`` to ``end``
    (days of the configured TIME_ZONE, as the rollups count them), time to claim and to
    complete of the tasks completed in the window, and completed / late per group.

    Two GROUP BY queries and one percentile query, each over the window's days only."""
    tz = timezone.get_default_timezone()
    since, _ = day_bounds(start)
    _, until = day_bounds(end)
    per_day = {
        start + timedelta(days=i): {"created": 0, "completed": 0, "cancelled": 0, "breached": 0}
        for i in range((end - start).days + 1)
    }
    created = (
        tasks.filter(created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in created:
        per_day[row["day"]]["created"] = row["n"]
    finished = tasks.filter(
        completed_at__gte=since,
        completed_at__lt=until,
        status__in=(TaskStatus.DONE, TaskStatus.CANCELLED),
    )
    late = Q(status=TaskStatus.DONE, due_at__isnull=False, completed_at__gt=F("due_at"))
    # One GROUP BY (day, group) serves both the per-day chart and the breaches by group.
    ended = (
        finished.annotate(day=TruncDate("completed_at", tzinfo=tz))
        .values("day", "group__name")
        .annotate(
            completed=Count("pk", filter=Q(status=TaskStatus.DONE)),
            cancelled=Count("pk", filter=Q(status=TaskStatus.CANCELLED)),
            breached=Count("pk", filter=late),
        )
        .order_by()
    )
    by_group: dict[str, dict] = {}
    for row in ended:
        figures = per_day[row["day"]]
        for name in ("completed", "cancelled", "breached"):
            figures[name] += row[name]
        if row["completed"]:
            name = row["group__name"] or NO_NAME
            group = by_group.setdefault(name, {"group": name, "completed": 0, "breached": 0})
            group["completed"] += row["completed"]
            group["breached"] += row["breached"]
    breaches = sorted(by_group.values(), key=lambda r: (-r["breached"], r["group"]))
    return {
        "daily": [{"day": day, **figures} for day, figures in per_day.items()],
        "durations": durations(finished.filter(status=TaskStatus.DONE)),
        "breaches_by_group": breaches,
    }


def durations(done: QuerySet[UserTask]) -> dict:
    """Median and 90th percentile (nearest rank, PostgreSQL's ``percentile_disc``: exact, where
    the rollups' sketches are within 1 %) of time to first claim and to complete of ``done``."""
    rows = done.annotate(claimed_at=first_claim_subquery()).values(
        "created_at", "completed_at", "claimed_at"
    )
    if connection.vendor == "postgresql":
        inner, params = rows.query.sql_with_params()
        to_complete = "EXTRACT(EPOCH FROM completed_at - created_at)"
        to_claim = "EXTRACT(EPOCH FROM claimed_at - created_at)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT COUNT(*), COUNT(claimed_at),
                      percentile_disc(0.5) WITHIN GROUP (ORDER BY {to_claim}),
                      percentile_disc(0.9) WITHIN GROUP (ORDER BY {to_claim}),
                      percentile_disc(0.5) WITHIN GROUP (ORDER BY {to_complete}),
                      percentile_disc(0.9) WITHIN GROUP (ORDER BY {to_complete})
                    FROM ({inner}) AS done""",
                params,
            )
            n, claimed, claim50, claim90, complete50, complete90 = cursor.fetchone()
    else:  # SQLite (the embedded default): no ordered-set aggregates; the window's rows
        claims, completes = [], []
        for row in rows.iterator(chunk_size=2000):
            completes.append((row["completed_at"] - row["created_at"]).total_seconds())
            if row["claimed_at"] is not None:
                claims.append((row["claimed_at"] - row["created_at"]).total_seconds())
        n, claimed = len(completes), len(claims)
        claim50, claim90 = _nearest_rank(claims, 0.5), _nearest_rank(claims, 0.9)
        complete50, complete90 = _nearest_rank(completes, 0.5), _nearest_rank(completes, 0.9)
    return {
        "claim": _figures(claimed, claim50, claim90),
        "complete": _figures(n, complete50, complete90),
    }


def _nearest_rank(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    values.sort()
    return values[max(0, ceil(fraction * len(values)) - 1)]


def _figures(count: int, median, p90) -> dict:
    def seconds(value):
        return None if value is None else round(float(value))

    return {"count": count, "median_seconds": seconds(median), "p90_seconds": seconds(p90)}
