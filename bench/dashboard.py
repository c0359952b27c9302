"""Dashboard cost at a million tasks and two years of rollups, and the rollup job's cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_w18 .venv/bin/python bench/dashboard.py

Builds (once; --rebuild to start over) the million-task inbox of bench/list_latency.py, gives its
DONE and CANCELLED tasks completion times and due dates, rolls every day of it up and copies
those rollups a year back (two years of history). Then, with the clock on the day after the
data ends:
- one day of 50,000 events (25,000 tasks created, 25,000 claimed and completed) is written and
  rolled up by the beat job's ``rollup_day``, timed;
- the open-task snapshot refresh (the other beat job), timed;
- the dashboard page (admin, 30 and 90 days, a group filter; a team view), the stats API and a
  /metrics scrape are timed (median of 5) with their query counts;
- the same page with list filters the rollups cannot answer (one assignee, a context variable,
  a search; the team view with a context variable), counted from the matching tasks.
Each figure is also printed as a ratio to a floor measured in the same run: GET /healthz.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DAY_EVENTS = 50_000


def prepare_history(rng: random.Random) -> None:
    """Completion times and due dates for the builder's tasks (it leaves them empty)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE inbox_usertask SET
                 completed_at = created_at + (random() * interval '3 days'),
                 due_at = created_at + interval '1 day'
               WHERE status IN ('DONE', 'CANCELLED')"""
        )
        cursor.execute(
            """UPDATE inbox_usertask SET due_at = created_at + interval '2 days'
               WHERE status IN ('UNASSIGNED', 'ASSIGNED') AND (hashtext(id::text) % 3) = 0"""
        )
        cursor.execute("ANALYZE")


def roll_everything(first_day, last_day) -> float:
    from ops.models import DailyTaskStats
    from ops.rollup import rollup_day

    t0 = time.perf_counter()
    day = first_day
    while day <= last_day:
        rollup_day(day)
        day += timedelta(days=1)
    elapsed = time.perf_counter() - t0
    # A year further back, copied: the dashboard reads rollups, so two years of rows is what counts.
    from django.db import connection

    columns = (
        "scope, group_id, task_type, source_id, created, completed, cancelled, breached, "
        "claim_sketch, complete_sketch, computed_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DailyTaskStats._meta.db_table} (day, {columns}) "
            f"SELECT day - 365, {columns} FROM {DailyTaskStats._meta.db_table} WHERE day >= %s",
            [first_day],
        )
    return elapsed


def write_one_day(day_start: datetime, rng: random.Random) -> None:
    """25,000 tasks created in the day, and 25,000 open tasks claimed then completed in it."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import User
    from inbox.lifecycle import local_source

    source = local_source()
    group_ids = list(Group.objects.order_by("id").values_list("id", flat=True)[:490])
    user_ids = list(User.objects.order_by("id").values_list("id", flat=True)[:5000])
    half = DAY_EVENTS // 2
    with connection.cursor() as cursor:
        columns = (
            "id, wf_run_id, source_id, external_id, task_type, title, description, status, "
            "assignee_id, group_id, upstream_assignee, priority, created_at, updated_at, fields, "
            "results, context, version, upstream_hash, delivery"
        )
        with cursor.copy(f"COPY inbox_usertask ({columns}) FROM STDIN") as copy:
            for i in range(half):
                when = day_start + timedelta(seconds=i * 86400 / half)
                task_id = uuid.uuid4()  # the builder's seeded generator made the others
                copy.write_row(
                    (task_id, f"day-{i}", source.pk, str(task_id), f"type-{i % 40}", f"New {i}",
                     "", "UNASSIGNED", None, rng.choice(group_ids), "", 0, when, when, "[]", "{}",
                     "{}", 1, "", "")
                )  # fmt: skip
        cursor.execute(
            "SELECT id, created_at FROM inbox_usertask WHERE status = 'UNASSIGNED' "
            "AND created_at < %s ORDER BY created_at DESC LIMIT %s",
            [day_start, half],
        )
        finishing = cursor.fetchall()
        with cursor.copy(
            "COPY inbox_taskevent (task_id, kind, actor_id, data, created_at) FROM STDIN"
        ) as copy:
            for i, (task_id, _) in enumerate(finishing):
                claimed = day_start + timedelta(seconds=i * 86400 / half / 2)
                user = rng.choice(user_ids)
                copy.write_row(
                    (task_id, "ASSIGNED", user, f'{{"new_user": {{"id": {user}}}}}', claimed)
                )
        cursor.execute(
            """UPDATE inbox_usertask t SET status = 'DONE', completed_at = e.created_at
                    + interval '10 hours' * random() + interval '1 minute'
               FROM inbox_taskevent e
               WHERE e.task_id = t.id AND e.kind = 'ASSIGNED' AND e.created_at >= %s""",
            [day_start],
        )
        cursor.execute(
            "UPDATE inbox_usertask SET completed_at = %s WHERE completed_at >= %s",
            [day_start + timedelta(hours=23, minutes=59), day_start + timedelta(days=1)],
        )
        cursor.execute("ANALYZE inbox_usertask")
        cursor.execute("ANALYZE inbox_taskevent")


def timed(fn, runs: int = 5):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            result = fn()
            samples.append((time.perf_counter() - t0) * 1000)
        queries = len(captured)
        if hasattr(result, "status_code"):
            assert result.status_code == 200, (result.status_code, result.content[:300])
    return statistics.median(samples), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_w18")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import list_latency

    list_latency.ensure_database(url, args.rebuild)

    import django

    django.setup()
    import time_machine
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.METRICS_TOKEN = "bench"
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.models import User
    from inbox.models import UserTask
    from ops.models import DailyTaskStats
    from ops.rollup import refresh_open_snapshot, rollup_day

    rng = random.Random(18)
    if not UserTask.objects.exists():
        t0 = time.perf_counter()
        list_latency.build(rng)
        prepare_history(rng)
        print(f"built {list_latency.TASKS:,} tasks in {time.perf_counter() - t0:.0f} s")
    # The builder's tasks run from 2025-01-01, one every 30 s; the measured day follows them.
    first_day = datetime(2025, 1, 1, tzinfo=UTC).date()
    last_day = (
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=30 * list_latency.TASKS)
    ).date()
    new_day = last_day + timedelta(days=1)
    day_start = datetime(new_day.year, new_day.month, new_day.day, tzinfo=UTC)
    if not DailyTaskStats.objects.exists():
        elapsed = roll_everything(first_day, last_day)
        print(f"rolled up {(last_day - first_day).days + 1} days in {elapsed:.1f} s")
    if not UserTask.objects.filter(created_at__gte=day_start).exists():
        write_one_day(day_start, rng)
    print(
        f"{UserTask.objects.count():,} tasks; {DailyTaskStats.objects.count():,} rollup rows over "
        f"{DailyTaskStats.objects.dates('day', 'day').count()} days"
    )

    with time_machine.travel(day_start + timedelta(days=1, minutes=5), tick=True):
        t0 = time.perf_counter()
        rows = rollup_day(new_day)
        rollup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        snapshot_rows = refresh_open_snapshot()
        snapshot_s = time.perf_counter() - t0
        admin = User.objects.filter(username="bench-admin").first() or User.objects.create(
            username="bench-admin", is_superuser=True
        )
        member = User.objects.get(username="user0")
        admin_client, member_client, anonymous = Client(), Client(), Client()
        admin_client.force_login(admin)
        member_client.force_login(member)
        group = Group.objects.get(name="group-3").name
        floor, _ = timed(lambda: anonymous.get("/healthz"))
        print(f"floor: GET /healthz {floor:.1f} ms")
        print(
            f"rollup of one day of {DAY_EVENTS:,} events: {rollup_s * 1000:.0f} ms ({rows} rows); "
            f"open snapshot refresh: {snapshot_s * 1000:.0f} ms ({snapshot_rows} rows)"
        )
        cases = [
            ("dashboard, admin, 30 days", lambda: admin_client.get("/console/dashboard/")),
            ("dashboard, admin, 90 days", lambda: admin_client.get("/console/dashboard/?days=90")),
            (
                "dashboard, admin, 730 days, group",
                lambda: admin_client.get(f"/console/dashboard/?days=730&group={group}"),
            ),
            (
                "dashboard, admin, 90 days, type",
                lambda: admin_client.get("/console/dashboard/?days=90&type=type-7"),
            ),
            (
                "dashboard, team view, 90 days",
                lambda: member_client.get("/console/dashboard/?days=90"),
            ),
            # The list filters the rollups cannot answer: counted from the matching tasks.
            (
                "filtered, 30 days, one assignee",
                lambda: admin_client.get("/console/dashboard/?user=user42"),
            ),
            (
                "filtered, 90 days, one assignee",
                lambda: admin_client.get("/console/dashboard/?days=90&user=user42"),
            ),
            (
                "filtered, 30 days, context customer",
                lambda: admin_client.get("/console/dashboard/?ctx_key=customer&ctx_value=c42"),
            ),
            (
                "filtered, 90 days, search 'customer 42'",
                lambda: admin_client.get("/console/dashboard/?days=90&q=customer+42"),
            ),
            (
                "filtered, 30 days, search 'refund' (1/8)",
                lambda: admin_client.get("/console/dashboard/?q=refund"),
            ),
            (
                "filtered, team view, 90 d, context",
                lambda: member_client.get(
                    "/console/dashboard/?days=90&ctx_key=region&ctx_value=EU"
                ),
            ),
            (
                "stats API, 90 days, one assignee",
                lambda: admin_client.get("/api/v1/admin/stats/?days=90&user=user42"),
            ),
            (
                "CSV, daily, 90 days",
                lambda: admin_client.get("/console/dashboard/daily.csv?days=90"),
            ),
            ("stats API, 90 days", lambda: admin_client.get("/api/v1/admin/stats/?days=90")),
            (
                "/metrics scrape",
                lambda: anonymous.get("/metrics", headers={"Authorization": "Bearer bench"}),
            ),
            ("/readyz", lambda: anonymous.get("/readyz")),
        ]
        for label, fn in cases:
            fn()  # warm
            ms, queries = timed(fn)
            print(f"{label:40s} {ms:7.1f} ms  {ms / floor:6.1f}x floor  {queries} queries")


if __name__ == "__main__":
    main()
