"""Notification burst: 10,000 tasks imported into a 200-member group through the importer.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench_notify .venv/bin/python bench/notify_burst.py

Imports the tasks in pages of 500 (as a poll does) twice per round, once with notifications
off (NOTIFICATIONS_ENABLED=False: the floor) and once on, alternating which goes first, and
reports the medians: the import time of each, the extra import time with notifications on (the
lifecycle's outbox rows), the fan-out time (what the worker then does), notification rows
written, and mails sent once the batch window has closed (Django's in-memory mail backend).
The database named in DATABASE_URL is dropped and created again.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync_ingest import recreate_database  # noqa: E402


def run_import(tag: str, tasks: int, page_size: int, enabled: bool) -> float:
    from django.conf import settings

    from inbox.models import Source
    from inbox.sync.base import Page, TaskRecord
    from inbox.sync.importer import Mapper, import_page

    settings.NOTIFICATIONS_ENABLED = enabled
    source = Source.objects.create(name=f"burst-{tag}", kind="littlehorse", poll_interval=0)
    mapper = Mapper(source)
    started = time.perf_counter()
    for start in range(0, tasks, page_size):
        records = [
            TaskRecord(
                external_id=f"{tag}-{i}",
                wf_run_id=f"run-{tag}-{i}",
                task_type="approval",
                title=f"Burst task {i}",
                group="burst",
                fields=[{"name": "ok", "type": "BOOLEAN", "required": True}],
            )
            for i in range(start, min(start + page_size, tasks))
        ]
        import_page(source, Page(tasks=records, cursor={"n": start}), mapper=mapper)
    elapsed = time.perf_counter() - started
    settings.NOTIFICATIONS_ENABLED = True
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (it is recreated)")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    recreate_database(url)
    import django

    django.setup()
    import time_machine
    from django.contrib.auth.models import Group
    from django.core import mail
    from django.core.management import call_command

    from accounts.models import User
    from notifications.fanout import pump
    from notifications.mail import send_notification_mail
    from notifications.models import Notification

    call_command("migrate", verbosity=0)
    mail.outbox = []
    group = Group.objects.create(name="burst")
    users = User.objects.bulk_create(
        [
            User(username=f"m{i}", email=f"m{i}@example.com", password="!")
            for i in range(args.members)
        ]
    )
    group.user_set.add(*users)

    off, on, fan, rows, mails = [], [], [], [], []
    for round_ in range(args.rounds):
        order = [False, True] if round_ % 2 == 0 else [True, False]
        for enabled in order:
            tag = f"r{round_}-{'on' if enabled else 'off'}"
            seconds = run_import(tag, args.tasks, args.page_size, enabled)
            (on if enabled else off).append(seconds)
            if enabled:
                before = Notification.objects.count()
                started = time.perf_counter()
                pump()
                fan.append(time.perf_counter() - started)
                rows.append(Notification.objects.count() - before)
                sent_before = len(mail.outbox)
                later = datetime.now(UTC) + timedelta(hours=1)
                with time_machine.travel(later):  # the batch window has closed
                    for pk in Notification.objects.filter(mail_state="pending").values_list(
                        "pk", flat=True
                    ):
                        send_notification_mail(pk)
                mails.append(len(mail.outbox) - sent_before)
                # Close this burst's batches, so the next burst is a fresh one.
                Notification.objects.filter(batch_until__isnull=False).update(
                    batch_until=datetime.now(UTC) - timedelta(seconds=1)
                )
    off_s, on_s = statistics.median(off), statistics.median(on)
    print(
        f"notify_burst: {args.tasks} tasks into a {args.members}-member group, "
        f"pages of {args.page_size}, median of {args.rounds} rounds"
    )
    print(f"  import, notifications off (floor): {off_s:7.2f} s")
    print(
        f"  import, notifications on:          {on_s:7.2f} s  "
        f"(x{on_s / off_s:.2f} of the floor, +{(on_s - off_s) / off_s * 100:.1f}%)"
    )
    print(
        f"  fan-out by the worker afterwards:  {statistics.median(fan):7.2f} s  "
        f"(x{statistics.median(fan) / off_s:.2f} of the floor)"
    )
    print(
        f"  notification rows per burst:       {statistics.median(rows):7.0f}  "
        f"(one per member: {args.members})"
    )
    print(f"  mails sent per burst:              {statistics.median(mails):7.0f}")


if __name__ == "__main__":
    main()
