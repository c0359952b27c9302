"""The dashboard's and the stats API's numbers (selectors).

Without a list filter the rollups cannot answer, nothing here reads the task table: open-task
figures come from ``OpenTaskSnapshot``, history from ``DailyTaskStats`` at the narrowest scope
the filters allow, and source health from the small Source and outbox tables (failed and
pending commands through ``outbox_due_idx``). With one (``StatsFilters.needs_tasks``: assignee,
search, case, dates, context, ...), the same figures are counted from the matching tasks by
``ops.live``, bounded by the window's days; source health is per engine either way.

Admins see everything; any other user sees the team view: only their own groups' figures and
no source health.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from inbox.errors import NotFound, ValidationError
from inbox.models import OPEN_STATUSES, OutboxCommand, Source
from ops import buckets, live, quantiles
from ops.filters import StatsFilters
from ops.models import DailyTaskStats, OpenTaskSnapshot
from ops.rollup import today


@dataclass(frozen=True)
class Scope:
    """Who is looking: every group (admins) or a team's groups."""

    is_admin: bool
    group_ids: tuple[int, ...] | None  # None: every group


def scope_for(user: User) -> Scope:
    """Admins see everything; members of at least one group see their teams; others nothing."""
    if user.is_inbox_admin:
        return Scope(True, None)
    group_ids = tuple(user.group_ids())
    if not group_ids:
        raise NotFound("The dashboard shows your groups' work, and you are in no group.")
    return Scope(False, group_ids)


def _resolve(filters: StatsFilters, scope: Scope) -> dict:
    """Names to ids; an unknown name (or a group outside the team) is a 400 naming it."""
    ids = {}
    errors = {}
    if filters.unrouted and scope.group_ids is not None:
        errors["unrouted"] = ["Unrouted tasks are in no group: only admins see them."]
    if filters.group:
        group = Group.objects.filter(name=filters.group).first()
        if group is None or (scope.group_ids is not None and group.pk not in scope.group_ids):
            errors["group"] = [f"No group named {filters.group!r} among the groups you can see."]
        else:
            ids["group_id"] = group.pk
    if filters.source:
        source = Source.objects.filter(name=filters.source).first()
        if source is None:
            errors["source"] = [f"No source named {filters.source!r}."]
        else:
            ids["source_id"] = source.pk
    if errors:
        raise ValidationError("Invalid filter", fields=errors)
    return ids


def _dimension_q(filters: StatsFilters, ids: dict, scope: Scope) -> Q:
    q = Q()
    if "group_id" in ids:
        q &= Q(group_id=ids["group_id"])
    elif filters.unrouted:
        q &= Q(group_id__isnull=True)
    elif scope.group_ids is not None:
        q &= Q(group_id__in=scope.group_ids)
    if filters.task_type:
        q &= Q(task_type=filters.task_type)
    if "source_id" in ids:
        q &= Q(source_id=ids["source_id"])
    return q


def _scope_name(dimensions: set[str]) -> str:
    """The narrowest rollup scope holding these dimensions (group, type, source)."""
    if not dimensions:
        return DailyTaskStats.Scope.ALL
    if len(dimensions) > 1:
        return DailyTaskStats.Scope.FULL
    return {
        "group": DailyTaskStats.Scope.GROUP,
        "type": DailyTaskStats.Scope.TYPE,
        "source": DailyTaskStats.Scope.SOURCE,
    }[next(iter(dimensions))]


def _filtered(filters: StatsFilters, ids: dict, scope: Scope) -> set[str]:
    dimensions = set()
    if "group_id" in ids or filters.unrouted or scope.group_ids is not None:
        dimensions.add("group")
    if filters.task_type:
        dimensions.add("type")
    if "source_id" in ids:
        dimensions.add("source")
    return dimensions


def _breakdown(snapshot: QuerySet, dimensions: set, column: str, label: str) -> list[dict]:
    rows = (
        snapshot.filter(scope=_scope_name(dimensions | {column}))
        .values(label)
        .annotate(open=Sum("open"), unclaimed=Sum("unclaimed"), overdue=Sum("overdue"))
        .order_by("-open", label)
    )
    return [
        {
            column: row[label] if row[label] not in (None, "") else "(none)",
            "open": row["open"],
            "unclaimed": row["unclaimed"],
            "overdue": row["overdue"],
        }
        for row in rows
    ]


def _durations(sketch: dict[str, int]) -> dict:
    median, p90 = quantiles.quantiles(sketch, (0.5, 0.9))
    return {"count": quantiles.count(sketch), "median_seconds": median, "p90_seconds": p90}


def _open_q(filters: StatsFilters) -> Q:
    """Status and due narrow the open-task snapshot (its rows are split by both)."""
    q = Q()
    if filters.status:
        q &= Q(status__in=[s for s in filters.status if s in OPEN_STATUSES])
    if filters.due == "overdue":
        q &= Q(is_overdue=True)
    return q


def source_health(now=None, source_id: int | None = None) -> list[dict]:
    """Write-back backlog and failures, and poll failures, per engine source (admins only);
    only ``source_id`` when given."""
    now = now or timezone.now()
    sources = Source.objects.exclude(kind=Source.Kind.LOCAL).order_by("name")
    if source_id is not None:
        sources = sources.filter(pk=source_id)
    outbox = {
        row["source_id"]: row
        for row in OutboxCommand.objects.filter(
            status__in=(*OutboxCommand.OPEN, *OutboxCommand.STUCK)
        )
        .order_by()
        .values("source_id")
        .annotate(
            pending=Count("id", filter=Q(status__in=OutboxCommand.OPEN)),
            failed=Count("id", filter=Q(status__in=OutboxCommand.STUCK)),
            oldest=Min("created_at", filter=Q(status__in=OutboxCommand.OPEN)),
        )
    }
    rows = []
    for source in sources:
        figures = outbox.get(source.pk, {})
        oldest = figures.get("oldest")
        rows.append(
            {
                "source": source.name,
                "kind": source.kind,
                "enabled": source.enabled,
                "writeback_pending": figures.get("pending", 0),
                "writeback_oldest_pending_seconds": int((now - oldest).total_seconds())
                if oldest
                else None,
                "writeback_failed": figures.get("failed", 0),
                "poll_consecutive_failures": source.consecutive_failures,
                "poll_last_error_at": source.last_error_at,
                "poll_last_success_at": source.last_success_at,
            }
        )
    return rows


def dashboard_stats(user: User, filters: StatsFilters) -> dict:
    """Every figure of the dashboard and of ``GET /api/v1/admin/stats/`` for ``user``.

    From the rollups (a constant number of small queries, whatever the size of the inbox), or,
    when a list filter needs the tasks, from the matching tasks (``ops.live``)."""
    scope = scope_for(user)
    ids = _resolve(filters, scope)
    end = today()
    start = end - timedelta(days=filters.days - 1)
    where = _dimension_q(filters, ids, scope)
    dimensions = _filtered(filters, ids, scope)
    now = timezone.now()
    if filters.tasks is not None:  # list filters: every figure from the matching tasks
        tasks = live.matching_tasks(filters, where)
        figures = {
            **live.open_figures(tasks, filters, now),
            **live.history_figures(tasks, start, end),
        }
    elif filters.needs_tasks():  # a due preset only: it narrows the open figures, not the history
        figures = {
            **live.open_figures(live.matching_tasks(filters, where), filters, now),
            **_rollup_history(dimensions, where, start, end),
        }
    else:
        figures = {
            **_rollup_open(filters, dimensions, where),
            **_rollup_history(dimensions, where, start, end),
        }
    daily = figures["daily"]
    totals = {
        **figures.pop("totals"),
        **{
            name: sum(d[name] for d in daily)
            for name in ("created", "completed", "cancelled", "breached")
        },
    }
    return {
        "filters": {
            "group": filters.group,
            "type": filters.task_type,
            "source": filters.source,
            "status": list(filters.status),
            "due": filters.due,
            "unrouted": filters.unrouted,
            "days": filters.days,
        },
        "list_filters": [{"filter": name, "value": value} for name, value in filters.list_params],
        "computed_from": "tasks" if filters.needs_tasks() else "rollups",
        "team_view": not scope.is_admin,
        "window": {"start": start, "end": end, "days": filters.days},
        "totals": totals,
        **figures,
        "sources": source_health(source_id=ids.get("source_id")) if scope.is_admin else [],
    }


def _rollup_open(filters: StatsFilters, dimensions: set[str], where: Q) -> dict:
    """The open-task figures from the snapshot (the task table is never read)."""
    snapshot = OpenTaskSnapshot.objects.filter(where & _open_q(filters))
    age_names = [f"age{i}" for i in range(len(buckets.AGES))]
    snap = snapshot.filter(scope=_scope_name(dimensions)).aggregate(
        open=Sum("open"),
        unclaimed=Sum("unclaimed"),
        overdue=Sum("overdue"),
        as_of=Max("computed_at"),
        **{name: Sum(name) for name in age_names},
    )
    as_of = snap["as_of"] or OpenTaskSnapshot.objects.aggregate(m=Max("computed_at"))["m"]
    return {
        "open_as_of": as_of,
        "totals": {
            "open": snap["open"] or 0,
            "unclaimed": snap["unclaimed"] or 0,
            "overdue": snap["overdue"] or 0,
        },
        "open_by_group": _breakdown(snapshot, dimensions, "group", "group__name"),
        "open_by_type": _breakdown(snapshot, dimensions, "type", "task_type"),
        "open_by_source": _breakdown(snapshot, dimensions, "source", "source__name"),
        "age_buckets": [
            {"bucket": label, "open": snap[name] or 0}
            for (label, _), name in zip(buckets.AGES, age_names, strict=True)
        ],
    }


def _rollup_history(dimensions: set[str], where: Q, start: date, end: date) -> dict:
    """The history figures from the daily rollups (the task table is never read)."""
    per_day: dict[date, dict] = {
        start + timedelta(days=i): {"created": 0, "completed": 0, "cancelled": 0, "breached": 0}
        for i in range((end - start).days + 1)
    }
    claim_sketch: dict[str, int] = {}
    complete_sketch: dict[str, int] = {}
    rows = DailyTaskStats.objects.filter(
        where, scope=_scope_name(dimensions), day__gte=start, day__lte=end
    )
    for row in rows.values(
        "day", "created", "completed", "cancelled", "breached", "claim_sketch", "complete_sketch"
    ):
        bucket = per_day[row["day"]]
        for name in ("created", "completed", "cancelled", "breached"):
            bucket[name] += row[name]
        quantiles.merge(claim_sketch, row["claim_sketch"])
        quantiles.merge(complete_sketch, row["complete_sketch"])
    daily = [{"day": day, **figures} for day, figures in per_day.items()]

    group_rows = (
        DailyTaskStats.objects.filter(
            where, scope=_scope_name(dimensions | {"group"}), day__gte=start, day__lte=end
        )
        .values("group_id")
        .annotate(completed=Sum("completed"), breached=Sum("breached"))
        .filter(completed__gt=0)
        .order_by()
    )
    group_rows = list(group_rows)
    names = dict(
        Group.objects.filter(pk__in=[r["group_id"] for r in group_rows]).values_list("id", "name")
    )
    breaches = sorted(
        (
            {
                "group": names.get(row["group_id"], "(none)"),
                "completed": row["completed"],
                "breached": row["breached"],
            }
            for row in group_rows
        ),
        key=lambda r: (-r["breached"], r["group"]),
    )
    return {
        "daily": daily,
        "durations": {
            "claim": _durations(claim_sketch),
            "complete": _durations(complete_sketch),
        },
        "breaches_by_group": breaches,
    }
