"""List latency at a million tasks: keyset pages of the visibility union on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench_lists .venv/bin/python bench/list_latency.py

Builds (once; --rebuild to start over) 1,000,000 tasks, 10,000 users and 500 groups with a
context variable on every task, then times, as a staff user with a busy queue and as one whose
groups are empty: page 1 and page 30 of their visible tasks, the claimable list, a
context-variable filter, and an admin's page 30 of all tasks. Prints the median of 5 runs and the
query count of each page. The database named in DATABASE_URL is created when missing.
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

TASKS, USERS, GROUPS = 1_000_000, 10_000, 500
WORDS = ["invoice", "travel", "contract", "refund", "hardware", "onboarding", "renewal", "audit"]


def ensure_database(url: str, rebuild: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(rng: random.Random) -> None:
    """Users, groups and tasks written with COPY: the lifecycle is not what is measured here."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import User
    from inbox.lifecycle import local_source

    source = local_source()
    Group.objects.bulk_create([Group(name=f"group-{i}") for i in range(GROUPS)])
    group_ids = list(Group.objects.order_by("id").values_list("id", flat=True))
    User.objects.bulk_create(
        [
            User(username=f"user{i}", email=f"user{i}@example.com", password="!")
            for i in range(USERS)
        ],
        batch_size=5000,
    )
    user_ids = list(User.objects.order_by("id").values_list("id", flat=True))
    memberships = [(user_ids[i], group_ids[i % (GROUPS - 10)]) for i in range(USERS)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = ["UNASSIGNED"] * 5 + ["ASSIGNED"] * 2 + ["DONE"] * 2 + ["CANCELLED"]
    with connection.cursor() as cursor:
        with cursor.copy("COPY accounts_user_groups (user_id, group_id) FROM STDIN") as copy:
            for row in memberships:
                copy.write_row(row)
        columns = (
            "id, wf_run_id, source_id, external_id, task_type, title, description, status, "
            "assignee_id, group_id, upstream_assignee, priority, created_at, updated_at, fields, "
            "results, context, version, upstream_hash, due_at, delivery"
        )
        with cursor.copy(f"COPY inbox_usertask ({columns}) FROM STDIN") as copy:
            for i in range(TASKS):
                status = rng.choice(statuses)
                group = group_ids[rng.randrange(GROUPS - 10)]
                assignee = user_ids[rng.randrange(USERS)] if status != "UNASSIGNED" else None
                when = start + timedelta(seconds=i * 30)
                task_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                copy.write_row(
                    (
                        task_id,
                        f"run-{i}",
                        source.pk,
                        str(task_id),
                        f"type-{i % 40}",
                        f"Task {i} for customer {i % 997}",
                        f"Please review the {WORDS[i % len(WORDS)]} request of customer {i % 997}",
                        status,
                        assignee,
                        group,
                        "",
                        i % 3,
                        when,
                        when,
                        "[]",
                        "{}",
                        f'{{"customer": "c{i % 997}", "region": "{["EU", "US", "APAC"][i % 3]}"}}',
                        1,
                        "",
                        when + timedelta(hours=rng.randrange(1, 24 * 30)) if i % 4 else None,
                        "",
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(fn, runs: int = 5):
    from django.db import connection, reset_queries

    samples, queries = [], 0
    for _ in range(runs):
        reset_queries()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        queries = len(connection.queries)
    return statistics.median(samples), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    url = os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench_lists"
    )
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    ensure_database(url, args.rebuild)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = True  # record queries
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from inbox.models import UserTask
    from inbox.queries import TaskFilters, task_page

    if not UserTask.objects.exists():
        t0 = time.perf_counter()
        build(random.Random(7))
        print(
            f"built {TASKS:,} tasks, {USERS:,} users, {GROUPS} groups in {time.perf_counter() - t0:.0f} s"
        )

    def page(user, n, **kwargs):
        bookmark = None
        for _ in range(n):
            result = task_page(User.objects.get(pk=user.pk), limit=50, bookmark=bookmark, **kwargs)
            bookmark = result.bookmark
        return result

    def last_page_only(user, n, **kwargs):
        """Page n, timed alone: walk to page n-1 first, then time one request."""
        bookmark = page(user, n - 1, **kwargs).bookmark if n > 1 else None
        return lambda: task_page(
            User.objects.get(pk=user.pk), limit=50, bookmark=bookmark, **kwargs
        )

    from django.contrib.auth.models import Group

    busy = User.objects.get(username="user0")
    idle, _ = User.objects.get_or_create(username="bench-idle")  # only in groups with no tasks
    idle.groups.set(Group.objects.filter(name__in=[f"group-{GROUPS - 1}", f"group-{GROUPS - 2}"]))
    admin = (
        User.objects.create(username="bench-admin", is_superuser=True)
        if not User.objects.filter(username="bench-admin").exists()
        else User.objects.get(username="bench-admin")
    )
    context = TaskFilters.from_params({"context__customer": "c42"})
    cases = [
        ("busy user, visible, page 1", last_page_only(busy, 1)),
        ("busy user, visible, page 30", last_page_only(busy, 30)),
        ("busy user, claimable, page 1", last_page_only(busy, 1, scope="claimable")),
        ("busy user, context filter, page 1", last_page_only(busy, 1, filters=context)),
        ("empty-queue user, visible, page 1", last_page_only(idle, 1)),
        ("admin, all tasks, page 30", last_page_only(admin, 30, scope="all")),
        ("admin, context filter, page 1", last_page_only(admin, 1, scope="all", filters=context)),
    ]
    for label, fn in cases:
        ms, queries = timed(fn)
        print(f"{label:38s} {ms:7.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
