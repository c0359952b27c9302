"""Escalation scan at a million tasks: an empty scan, and 10,000 due firings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench_escalation .venv/bin/python bench/escalation_scan.py

Builds (once; --rebuild to start over) a million-task database shaped like
``bench/list_latency.py``'s (``--tasks`` to build smaller while developing), gives every open task an SLA row under one
policy (``next_escalation_at`` spread over the coming 30 days, none due), then times:

- an empty scan (``sla.scanner.scan``: nothing due), median of 7 runs, against the floor of a
  one-row primary-key SELECT of a task measured in the same run;
- ``--firings`` (default 10,000) unclaimed tasks made due at once, then one scan firing the
  policy's rule on each (priority raised, the holder's group told: an ESCALATED event and a
  notification outbox row per task), against the floor of one bulk UPDATE of those tasks'
  priority (the cheapest set-based write of the same rows).

Targets (issue 15): empty scan < 50 ms; 10,000 firings < 30 s.
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

import list_latency  # noqa: E402


def build(rng: random.Random, tasks: int) -> None:
    """list_latency's shape (10,000 users, 500 groups, the same mix of statuses), written with
    COPY; its column list names every column without a database default."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import User
    from inbox.lifecycle import local_source

    users, groups = list_latency.USERS, list_latency.GROUPS
    source = local_source()
    Group.objects.bulk_create([Group(name=f"group-{i}") for i in range(groups)])
    group_ids = list(Group.objects.order_by("id").values_list("id", flat=True))
    User.objects.bulk_create(
        [
            User(username=f"user{i}", email=f"user{i}@example.com", password="!")
            for i in range(users)
        ],
        batch_size=5000,
    )
    user_ids = list(User.objects.order_by("id").values_list("id", flat=True))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = ["UNASSIGNED"] * 5 + ["ASSIGNED"] * 2 + ["DONE"] * 2 + ["CANCELLED"]
    columns = (
        "id, wf_run_id, source_id, external_id, task_type, title, description, status, "
        "assignee_id, group_id, upstream_assignee, priority, created_at, updated_at, fields, "
        "results, context, version, upstream_hash, delivery"
    )
    with connection.cursor() as cursor:
        with cursor.copy("COPY accounts_user_groups (user_id, group_id) FROM STDIN") as copy:
            for i in range(users):
                copy.write_row((user_ids[i], group_ids[i % (groups - 10)]))
        with cursor.copy(f"COPY inbox_usertask ({columns}) FROM STDIN") as copy:
            for i in range(tasks):
                status = rng.choice(statuses)
                task_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                when = start + timedelta(seconds=i * 30)
                copy.write_row(
                    (
                        task_id,
                        f"run-{i}",
                        source.pk,
                        str(task_id),
                        f"type-{i % 40}",
                        f"Task {i}",
                        "",
                        status,
                        user_ids[rng.randrange(users)] if status != "UNASSIGNED" else None,
                        group_ids[rng.randrange(groups - 10)],
                        "",
                        i % 3,
                        when,
                        when,
                        "[]",
                        "{}",
                        f'{{"customer": "c{i % 997}"}}',
                        1,
                        "",
                        "",
                    )
                )
        cursor.execute("ANALYZE")


def timed_ms(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--firings", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench_escalation"
    )
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    list_latency.ensure_database(url, args.rebuild)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from inbox.models import TaskEvent, UserTask
    from sla.models import EscalationRule, SlaPolicy, TaskSla
    from sla.scanner import scan

    if not UserTask.objects.exists():
        t0 = time.perf_counter()
        build(random.Random(7), args.tasks)
        print(f"built {args.tasks:,} tasks in {time.perf_counter() - t0:.0f} s")
    if not SlaPolicy.objects.filter(name="bench").exists():
        t0 = time.perf_counter()
        with transaction.atomic():
            policy = SlaPolicy.objects.create(
                name="bench", time_basis="wall", claim_within=timedelta(hours=1)
            )
            EscalationRule.objects.create(
                policy=policy,
                trigger="unclaimed",
                offset=timedelta(minutes=1),
                raise_priority=1,
                notify_group=True,
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO sla_tasksla (task_id, policy_id, next_escalation_at, escalated) "
                "SELECT id, %s, now() + interval '1 hour' + random() * interval '30 days', '' "
                "FROM inbox_usertask WHERE status IN ('UNASSIGNED', 'ASSIGNED')",
                [policy.pk],
            )
            cursor.execute("ANALYZE sla_tasksla")
        print(f"gave open tasks SLA rows in {time.perf_counter() - t0:.0f} s")
    policy = SlaPolicy.objects.get(name="bench")
    open_rows = TaskSla.objects.count()
    print(f"{UserTask.objects.count():,} tasks, {open_rows:,} open with an SLA row")

    one = UserTask.objects.values_list("pk", flat=True).first()
    floor = timed_ms(lambda: UserTask.objects.filter(pk=one).values_list("pk").first(), 7)
    TaskSla.objects.filter(next_escalation_at__lte=timezone.now()).update(
        next_escalation_at=timezone.now() + timedelta(days=30)
    )
    empty = timed_ms(lambda: scan(), 7)
    print(f"floor: one-row primary-key SELECT      {floor:8.2f} ms")
    print(
        f"empty scan (nothing due)               {empty:8.2f} ms  "
        f"x{empty / floor:.1f} of the floor   (target < 50 ms)"
    )

    # 10,000 unclaimed tasks made due; each fires the policy's rule once.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sla_escalationfiring WHERE rule_id IN "
            "(SELECT id FROM sla_escalationrule WHERE policy_id = %s)",
            [policy.pk],
        )
    due_ids = list(
        TaskSla.objects.filter(task__status="UNASSIGNED")
        .order_by("task_id")
        .values_list("task_id", flat=True)[: args.firings]
    )
    t0 = time.perf_counter()
    with transaction.atomic():
        UserTask.objects.filter(pk__in=due_ids).update(priority=0)
    bulk_floor = time.perf_counter() - t0
    TaskSla.objects.filter(task_id__in=due_ids).update(
        next_escalation_at=timezone.now() - timedelta(minutes=1)
    )
    events_before = TaskEvent.objects.filter(kind="ESCALATED").count()
    t0 = time.perf_counter()
    result = scan()
    fire_s = time.perf_counter() - t0
    events = TaskEvent.objects.filter(kind="ESCALATED").count() - events_before
    print(f"floor: one bulk UPDATE of {len(due_ids):,} tasks    {bulk_floor:8.2f} s")
    print(
        f"{result.fired:,} firings in one scan           {fire_s:8.2f} s  "
        f"x{fire_s / bulk_floor:.0f} of the floor   (target < 30 s); "
        f"{fire_s / max(result.fired, 1) * 1000:.2f} ms per firing, {events:,} history events"
    )
    again = timed_ms(lambda: scan(), 3)
    print(f"scan right after (nothing left)        {again:8.2f} ms")


if __name__ == "__main__":
    main()
