"""Maintain the rollups: one day of DailyTaskStats, and the open-task snapshot.

Both run in Celery beat jobs (``ops.tasks``), never on a page view. Each replaces its rows in
one transaction (delete, then insert), so a reader sees the old figures or the new ones,
never a mix; two concurrent runs for the same day (or two snapshot refreshes) serialise on a
transaction-level advisory lock on PostgreSQL (SQLite serialises every writer anyway).

Reads of the task table: the day's created tasks through ``task_created_idx``; the day's
finished tasks through the partial ``ops_task_completed_idx`` (this app's migration), each
task's first claim through ``event_task_idx``; the open snapshot through
``task_status_created_idx`` (status IN open).
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from inbox.models import OPEN_STATUSES, TaskEvent, TaskStatus, UserTask
from ops import buckets, quantiles
from ops.models import DailyTaskStats, OpenTaskSnapshot

ADVISORY_LOCK_KEY = 0x6F707372  # "opsr"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of ``day`` in the configured TIME_ZONE."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def today() -> date:
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def first_claim_subquery():
    """The time of a task's first ASSIGNED event that names a user (its claim)."""
    return Subquery(
        TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.ASSIGNED)
        .exclude(data__new_user=None)
        .order_by()
        .values("task")
        .annotate(first=Min("created_at"))
        .values("first")[:1]
    )


def _new_row():
    return {
        "created": 0,
        "completed": 0,
        "cancelled": 0,
        "breached": 0,
        "claim_sketch": {},
        "complete_sketch": {},
    }


def _add(into: dict, row: dict) -> None:
    for name in ("created", "completed", "cancelled", "breached"):
        into[name] += row[name]
    quantiles.merge(into["claim_sketch"], row["claim_sketch"])
    quantiles.merge(into["complete_sketch"], row["complete_sketch"])


def compute_day(day: date) -> dict[tuple, dict]:
    """Figures of ``day`` per (group_id, task_type, source_id)."""
    start, end = day_bounds(day)
    rows: dict[tuple, dict] = defaultdict(_new_row)
    created = (
        UserTask.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("group_id", "task_type", "source_id")
        .annotate(n=Count("*"))
    )
    for item in created:
        rows[(item["group_id"], item["task_type"], item["source_id"])]["created"] = item["n"]
    finished = (
        UserTask.objects.filter(
            completed_at__gte=start,
            completed_at__lt=end,
            status__in=(TaskStatus.DONE, TaskStatus.CANCELLED),
        )
        .order_by()
        .annotate(claimed_at=first_claim_subquery())
        .values_list(
            "group_id",
            "task_type",
            "source_id",
            "status",
            "created_at",
            "completed_at",
            "due_at",
            "claimed_at",
        )
    )
    for (
        group_id,
        task_type,
        source_id,
        status,
        created_at,
        completed_at,
        due_at,
        claimed_at,
    ) in finished.iterator(chunk_size=5000):
        row = rows[(group_id, task_type, source_id)]
        if status == TaskStatus.CANCELLED:
            row["cancelled"] += 1
            continue
        row["completed"] += 1
        if due_at is not None and completed_at > due_at:
            row["breached"] += 1
        quantiles.add(row["complete_sketch"], (completed_at - created_at).total_seconds())
        if claimed_at is not None:
            quantiles.add(row["claim_sketch"], (claimed_at - created_at).total_seconds())
    return rows


def rollup_day(day: date) -> int:
    """Recompute ``day``'s DailyTaskStats rows (every scope). Returns the number of rows.

    Idempotent: run it again for the same day and the rows are replaced by equal ones."""
    now = timezone.now()
    full = compute_day(day)
    scoped: dict[tuple, dict] = defaultdict(_new_row)
    for (group_id, task_type, source_id), row in full.items():
        _add(scoped[(DailyTaskStats.Scope.ALL, None, "", None)], row)
        _add(scoped[(DailyTaskStats.Scope.GROUP, group_id, "", None)], row)
        _add(scoped[(DailyTaskStats.Scope.TYPE, None, task_type, None)], row)
        _add(scoped[(DailyTaskStats.Scope.SOURCE, None, "", source_id)], row)
        scoped[(DailyTaskStats.Scope.FULL, group_id, task_type, source_id)] = row
    if not full:
        scoped[(DailyTaskStats.Scope.ALL, None, "", None)] = _new_row()
    return _replace(
        DailyTaskStats.objects.filter(day=day),
        scoped,
        lock=day.toordinal(),
        day=day,
        computed_at=now,
    )


KEY_FIELDS = ("scope", "group_id", "task_type", "source_id")


def _replace(rows, scoped: dict[tuple, dict], *, lock: int, key_fields=KEY_FIELDS, **common) -> int:
    """Replace ``rows`` (a queryset) by one row per key of ``scoped`` (values of
    ``key_fields``) with its figures and ``common`` fields, in one transaction under the
    rollup's advisory lock ``lock``, so two runs never interleave. Returns the rows written."""
    objects = [
        rows.model(**dict(zip(key_fields, key, strict=True)), **common, **figures)
        for key, figures in scoped.items()
    ]
    with transaction.atomic():
        _lock(lock)
        rows.delete()
        rows.model.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def _lock(key: int) -> None:
    """Serialise writers of one day (or of the snapshot, key 0) until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_KEY, key])


def refresh_open_snapshot(now: datetime | None = None) -> int:
    """Replace the open-task snapshot: per (group, type, source), status and overdue-or-not,
    open, unclaimed, overdue and age-bucket counts as of ``now``. Returns the number of rows.

    All in the database (portable SQL, PostgreSQL and SQLite): one GROUP BY of the open tasks
    (``task_status_created_idx``) inserted as the ``full`` rows, then each narrower scope
    summed from those rows; delete and inserts in one transaction under the snapshot's lock."""
    now = now or timezone.now()

    def at(when: datetime):  # as the backend stores it (SQLite: naive UTC text)
        return connection.ops.adapt_datetimefield_value(when)

    table = connection.ops.quote_name(OpenTaskSnapshot._meta.db_table)
    tasks = connection.ops.quote_name(UserTask._meta.db_table)
    counts = ["open", "unclaimed", "overdue", *(f"age{i}" for i in range(len(buckets.AGES)))]
    columns = ", ".join(
        ["scope", "group_id", "task_type", "source_id", "status", "is_overdue", *counts]
        + ["computed_at"]
    )
    # Age bucket i: created in (now - upper_i, now - lower_i]; the youngest also takes tasks
    # stamped after ``now`` (clock skew between hosts), the oldest everything older.
    ages, age_params = [], []
    for index, (_, lower) in enumerate(buckets.AGES):
        upper = buckets.AGES[index + 1][1] if index + 1 < len(buckets.AGES) else None
        if index == 0:
            ages.append("SUM(CASE WHEN created_at > %s THEN 1 ELSE 0 END)")
            age_params.append(at(now - timedelta(seconds=upper)))
        elif upper is None:
            ages.append("SUM(CASE WHEN created_at <= %s THEN 1 ELSE 0 END)")
            age_params.append(at(now - timedelta(seconds=lower)))
        else:
            ages.append("SUM(CASE WHEN created_at <= %s AND created_at > %s THEN 1 ELSE 0 END)")
            age_params += [at(now - timedelta(seconds=lower)), at(now - timedelta(seconds=upper))]
    open_placeholders = ", ".join(["%s"] * len(OPEN_STATUSES))
    full = f"""
        INSERT INTO {table} ({columns})
        SELECT %s, group_id, task_type, source_id, status, late, COUNT(*),
               SUM(CASE WHEN status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN late THEN 1 ELSE 0 END), {", ".join(ages)}, %s
        FROM (SELECT group_id, task_type, source_id, status, created_at,
                     (due_at IS NOT NULL AND due_at < %s) AS late
              FROM {tasks} WHERE status IN ({open_placeholders})) AS open_tasks
        GROUP BY group_id, task_type, source_id, status, late"""
    full_params = [
        DailyTaskStats.Scope.FULL,
        TaskStatus.UNASSIGNED,
        *age_params,
        at(now),
        at(now),
        *OPEN_STATUSES,
    ]
    sums = ", ".join(f"SUM({name})" for name in counts)
    derived = [
        (DailyTaskStats.Scope.ALL, "NULL", "''", "NULL", ""),
        (DailyTaskStats.Scope.GROUP, "group_id", "''", "NULL", "group_id, "),
        (DailyTaskStats.Scope.TYPE, "NULL", "task_type", "NULL", "task_type, "),
        (DailyTaskStats.Scope.SOURCE, "NULL", "''", "source_id", "source_id, "),
    ]
    with transaction.atomic():
        _lock(0)  # 0: the snapshot
        OpenTaskSnapshot.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(full, full_params)
            for scope, group, task_type, source, by in derived:
                cursor.execute(
                    f"""INSERT INTO {table} ({columns})
                        SELECT %s, {group}, {task_type}, {source}, status, is_overdue, {sums}, %s
                        FROM {table} WHERE scope = %s
                        GROUP BY {by}status, is_overdue""",
                    [scope, at(now), DailyTaskStats.Scope.FULL],
                )
        rows = OpenTaskSnapshot.objects.count()
        if not rows:  # nothing open: one row of zeros says when that was last true
            OpenTaskSnapshot.objects.create(
                scope=DailyTaskStats.Scope.ALL, status=TaskStatus.UNASSIGNED, computed_at=now
            )
            rows = 1
    return rows


def rollup_recent() -> dict:
    """The beat job's work: today so far, and yesterday until it has been rolled up once after
    it ended (tasks finished just before midnight); then the open-task snapshot."""
    day = today()
    yesterday = day - timedelta(days=1)
    rows = rollup_day(day)
    _, yesterday_end = day_bounds(yesterday)
    if not DailyTaskStats.objects.filter(
        day=yesterday, scope=DailyTaskStats.Scope.ALL, computed_at__gte=yesterday_end
    ).exists():
        rows += rollup_day(yesterday)
    return {"daily_rows": rows, "snapshot_rows": refresh_open_snapshot()}
