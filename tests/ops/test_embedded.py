"""The dashboard on the embedded defaults (SQLite, as `make run` serves it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from inbox import lifecycle
from inbox.models import UserTask
from accounts.models import User
alice = User.objects.get(username="alice")
task = lifecycle.task_create(title="Check", task_type="check", group="finance", fields=[])
lifecycle.task_claim(task_id=task.pk, user=alice)
lifecycle.task_complete(task_id=task.pk, user=alice, results={})
call_command("ops_rollup", "--days", "3", verbosity=0)
client = Client(HTTP_HOST="localhost")
assert client.login(username="admin", password="inbox-admin-demo")
page = client.get("/console/dashboard/")
print("page", page.status_code)
stats = client.get("/api/v1/admin/stats/").json()
done = UserTask.objects.filter(status="DONE").count()
print("completed", stats["totals"]["completed"], done, stats["durations"]["claim"]["count"])
print("open", stats["totals"]["open"], UserTask.objects.filter(status__in=["UNASSIGNED", "ASSIGNED"]).count())
"""


def test_dashboard_works_on_embedded_sqlite(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY")
    }
    env.update(DEBUG="true", INBOX_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert lines["page"] == "200"
    shown, done, claimed = map(int, lines["completed"].split())
    assert shown == done >= claimed >= 1
    shown, actual = lines["open"].split()
    assert shown == actual and int(actual) > 0
