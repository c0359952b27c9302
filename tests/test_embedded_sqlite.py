"""The embedded defaults: with no DATABASE_URL the app migrates SQLite under var/ and serves."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
from accounts.models import User
from inbox.queries import task_page
from inbox.models import UserTask
alice = User.objects.get(username="alice")
print("tasks", UserTask.objects.count(), len(task_page(alice, limit=100).tasks))
"""


def test_embedded_sqlite_settings_migrate_and_serve_the_login_page(tmp_path):
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
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert lines["journal"] == "wal"
    assert lines["login"] == "200 True"
    assert lines["home"] == "200"
    total, visible = map(int, lines["tasks"].split())
    assert total == 24, "seed_demo is idempotent"
    assert 0 < visible < total, "alice sees her groups' tasks, not legal's"
    assert (tmp_path / "inbox.sqlite3").exists()
