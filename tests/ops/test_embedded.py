"""The dashboard on the embedded defaults (SQLite, as `make run` serves it)."""

from tests.embedded import run_embedded

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
mine = client.get("/api/v1/admin/stats/?user=alice&q=Check").json()
print("mine", mine["computed_from"], mine["totals"]["completed"], mine["durations"]["claim"]["count"],
      mine["durations"]["complete"]["median_seconds"] is not None)
print("filtered", client.get("/console/dashboard/?user=alice&ctx_key=x&ctx_value=1").status_code)
"""


def test_dashboard_works_on_embedded_sqlite(tmp_path):
    lines = run_embedded(SCRIPT, tmp_path, timeout=180)
    assert lines["page"] == "200"
    shown, done, claimed = map(int, lines["completed"].split())
    assert shown == done >= claimed >= 1
    shown, actual = lines["open"].split()
    assert shown == actual and int(actual) > 0
    # The list filters, counted from the tasks (no percentile_disc on SQLite: nearest rank).
    assert lines["mine"] == "tasks 1 1 True"
    assert lines["filtered"] == "200"
