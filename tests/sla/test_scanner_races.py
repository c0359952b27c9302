"""Two scanners racing, and a scanner killed mid-batch, fire nothing twice (PostgreSQL)."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from inbox.models import TaskEvent
from sla.models import EscalationFiring, EscalationRule, SlaPolicy
from sla.scanner import scan
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def late_tasks(group):
    policy = SlaPolicy.objects.create(
        name="Quick", time_basis="wall", claim_within=timedelta(minutes=5)
    )
    EscalationRule.objects.create(
        policy=policy, trigger="unclaimed", offset=timedelta(minutes=5), raise_priority=1
    )
    EscalationRule.objects.create(
        policy=policy, trigger="unclaimed", offset=timedelta(minutes=10), notify_group=True
    )
    hour_ago = timezone.now() - timedelta(hours=1)
    return [TaskFactory(group=group, created_at=hour_ago) for _ in range(40)]


def test_two_scans_racing_fire_each_rule_once(late_tasks):
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            results.append(scan(batch=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.fired for r in results) == 80
    assert EscalationFiring.objects.count() == 80
    assert TaskEvent.objects.filter(kind="ESCALATED").count() == 80
    assert {
        t.priority for t in type(late_tasks[0]).objects.filter(pk__in=[t.pk for t in late_tasks])
    } == {1}


def _scanner_waiting_on(table_lock_holder_pid: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s AND pid <> %s",
            ["%sla_escalationfiring%", table_lock_holder_pid],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_scanner_killed_mid_batch_leaves_nothing_half_done(late_tasks):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = "import django; django.setup(); from sla.scanner import scan; scan(batch=1000)"
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:  # the scanner's batch will wait at its firing rows
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE sla_escalationfiring IN SHARE ROW EXCLUSIVE MODE")
            holder_pid = holder.connection.info.backend_pid
            worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
            deadline, pid = time.monotonic() + 60, None
            while pid is None and time.monotonic() < deadline:
                time.sleep(0.2)
                pid = _scanner_waiting_on(holder_pid)
            assert pid is not None, "the scanner reached its firing rows"
            assert TaskEvent.objects.filter(kind="ESCALATED").count() == 0, "nothing committed"
            worker.send_signal(signal.SIGKILL)
            worker.wait(20)
            cursor.execute("ROLLBACK")
    finally:
        holder.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # PostgreSQL notices the dead client and rolls back
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.2)
    assert EscalationFiring.objects.count() == 0
    assert scan().fired == 80
    assert scan().fired == 0
    assert TaskEvent.objects.filter(kind="ESCALATED").count() == 80
