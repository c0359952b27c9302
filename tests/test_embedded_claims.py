"""A claim on the embedded SQLite defaults: the same effects where PostgreSQL's one-statement
writes are not available (event and notification record, write-back and delivery flag)."""

from tests.embedded import run_embedded

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import Group, Permission
call_command("migrate", verbosity=0)
from accounts.models import User
from inbox import lifecycle
from inbox.errors import InboxError
from inbox.models import OutboxCommand, Source, TaskEvent, UserTask
from notifications.models import EventOutbox
group = Group.objects.create(name="finance")
alice = User.objects.create(username="alice", email="alice@example.com")
alice.groups.add(group)
bob = User.objects.create(username="bob")
bob.user_permissions.add(Permission.objects.get(codename="administer_tasks"))
engine = Source.objects.create(name="uipath", kind=Source.Kind.UIPATH, base_url="http://127.0.0.1:9/")
task = lifecycle.task_create(title="T", task_type="t", group=group, source=engine, external_id="x")
fresh = User.objects.get(pk=alice.pk)
print("facts", fresh.is_inbox_admin, fresh.group_ids() == [group.pk])
print("admin", User.objects.get(pk=bob.pk).is_inbox_admin, User.objects.get(pk=bob.pk).group_ids())
claimed = lifecycle.task_claim(task_id=task.id, user=fresh)
row = UserTask.objects.get(pk=task.pk)
print("claimed", row.status, row.assignee.username, row.version, row.delivery, claimed.delivery)
event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
print("recorded", EventOutbox.objects.filter(event=event).count())
print("commands", OutboxCommand.objects.filter(task=task, action="claim", status="pending").count())
try:
    lifecycle.task_claim(task_id=task.id, user=User.objects.get(pk=bob.pk))
except InboxError as error:
    print("second", error.code)
"""


def test_a_claim_on_sqlite_keeps_every_effect(tmp_path):
    lines = run_embedded(SCRIPT, tmp_path, timeout=120)
    assert lines["facts"] == "False True"
    assert lines["admin"] == "True []"
    assert lines["claimed"] == "ASSIGNED alice 2 pending pending"
    assert lines["recorded"] == "1"
    assert lines["commands"] == "1"
    assert lines["second"] == "assignment"
