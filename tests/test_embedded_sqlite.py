"""The embedded defaults: with no DATABASE_URL the app migrates SQLite under var/ and serves."""

from tests.embedded import run_embedded

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.conf import settings
assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), settings.DATABASES
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
call_command("seed_demo", verbosity=0)
from django.db import connection
print("journal", connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
response = Client(HTTP_HOST="localhost").get("/accounts/login/")
print("login", response.status_code, b"Sign in" in response.content)
client = Client(HTTP_HOST="localhost")
assert client.login(username="alice", password="inbox-alice-demo")
print("home", client.get("/").status_code)
counts = client.get("/nav/counts/?list=claimable").content.decode()  # the SQLite count path
print("navcounts", "#nav-count-claimable" in counts, "#list-count" in counts)
from accounts.models import User
from inbox.queries import task_page
from inbox.models import UserTask
alice = User.objects.get(username="alice")
print("tasks", UserTask.objects.count(), len(task_page(alice, limit=100).tasks))
import csv, io
from inbox.queries import export
export.CHUNK = 2  # several keyset chunks
response = client.get("/export/visible.csv", {"columns": "amount"})
rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
listed = [str(t.pk) for t in task_page(alice, limit=100).tasks]
# Context filters by any variable name: matched as a name (not an array index or a lookup).
from inbox.queries import TaskFilters
task = UserTask.objects.filter(group__in=alice.groups.all()).first()
task.context = {**task.context, "-1": "minus", "a__in": 7, "flag": True}
task.save(update_fields=["context"])
def found(params):
    return [t.pk for t in task_page(alice, filters=TaskFilters.from_params(params), limit=100).tasks]
print("ctxkeys", found({"context__-1": "minus"}) == [task.pk], found({"context__a__in": "7"}) == [task.pk],
      found({"context__flag": "true"}) == [task.pk], found({"context__-1": "other"}) == [],
      client.get("/", {"ctx_key": "a__contains", "ctx_value": "1"}).status_code,
      client.get("/api/v1/tasks/", {"context__-1": "minus"}).status_code,
      client.get("/", {"context__amount": "99999999999999999999"}).status_code)
print("export", response.status_code, [r["id"] for r in rows] == listed, rows[0]["created_at"][:2])
"""


def test_embedded_sqlite_settings_migrate_and_serve_the_login_page(tmp_path):
    lines = run_embedded(SCRIPT, tmp_path, timeout=120)
    assert lines["journal"] == "wal"
    assert lines["login"] == "200 True"
    assert lines["ctxkeys"] == "True True True True 200 200 200"
    assert lines["home"] == "200"
    assert lines["navcounts"] == "True True", "the counts load on SQLite too"
    total, visible = map(int, lines["tasks"].split())
    assert total == 24, "seed_demo is idempotent"
    assert 0 < visible < total, "alice sees her groups' tasks, not legal's"
    assert lines["export"] == "200 True 20", "the CSV lists the same rows in every chunk"
    assert (tmp_path / "inbox.sqlite3").exists()
