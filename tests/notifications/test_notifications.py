"""Notifications: each kind reaches the in-app list and mail once, preferences and digests are
honoured, bursts are batched, replays and your own actions notify nobody."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from inbox import lifecycle
from inbox.models import Source
from notifications.fanout import pump
from notifications.mail import send_digests, send_notification_mail
from notifications.models import FeedEntry, Kind, Mode, Notification, UserSettings
from notifications.preferences import group_default_set, preference_set
from notifications.scans import scan
from tests.factories import SourceFactory, TaskFactory

pytestmark = pytest.mark.django_db


def notices(user, kind=None):
    qs = Notification.objects.filter(user=user)
    return list(qs.filter(kind=kind) if kind else qs)


def settle():
    """Fan out what the fixtures did (new tasks in groups) and forget it."""
    pump()
    Notification.objects.all().delete()


def send_pending_mail():
    for n in Notification.objects.filter(mail_state="pending"):
        send_notification_mail(n.pk)


def test_admin_assignment_reaches_the_assignee_in_app_and_by_mail_once(admin, assignee, task):
    settle()
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    pump()
    pump()  # a second run finds nothing more to do
    (notice,) = notices(assignee, Kind.ASSIGNED)
    assert notice.url == f"/tasks/{task.id}/"
    send_pending_mail()
    send_pending_mail()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [assignee.email]
    assert f"http://127.0.0.1:8000/tasks/{task.id}/" in message.body
    assert f"/tasks/{task.id}/" in message.alternatives[0][0]
    assert notices(admin) == []


def test_claiming_yourself_notifies_nobody_but_feeds_the_event_feed(assignee, task):
    settle()
    before = FeedEntry.objects.count()
    lifecycle.task_claim(task_id=task.id, user=assignee)
    pump()
    assert Notification.objects.filter(kind=Kind.ASSIGNED).count() == 0
    assert FeedEntry.objects.count() == before + 1


def test_a_held_task_reassigned_by_an_admin_tells_the_former_holder(admin, assignee, member, task):
    settle()
    lifecycle.task_claim(task_id=task.id, user=assignee)
    lifecycle.task_assign(task_id=task.id, actor=admin, user=member)
    pump()
    assert [n.kind for n in notices(assignee)] == [Kind.TAKEN_AWAY]
    assert [n.kind for n in notices(member)] == [Kind.ASSIGNED]


def test_a_task_ended_by_the_engine_tells_its_holder(assignee, group):
    source = SourceFactory()
    task = lifecycle.task_create(title="Engine task", task_type="t", source=source, group=group)
    lifecycle.task_claim(task_id=task.id, user=assignee)
    settle()
    lifecycle.task_upstream_end(task_id=task.id, source=source, status="CANCELLED", message="gone")
    pump()
    (notice,) = notices(assignee, Kind.TAKEN_AWAY)
    assert "Cancelled by engine" in notice.title


def test_a_mention_reaches_the_mentioned_member_but_not_an_outsider(
    assignee, member, outsider, task
):
    settle()
    lifecycle.comment_add(task_id=task.id, user=assignee, text="@bob please look; @mallory too")
    pump()
    (notice,) = notices(member, Kind.MENTION)
    assert "alice mentioned you" in notice.title
    assert notices(outsider) == []  # cannot see the task
    assert notices(assignee) == []


def test_a_failed_write_back_tells_the_admins(admin, group):
    source = SourceFactory()
    task = lifecycle.task_create(title="Engine task", task_type="t", source=source, group=group)
    from inbox.models import OutboxCommand

    command = OutboxCommand.objects.create(source=source, task=task, action="claim")
    lifecycle.task_record_writeback_failure(command=command, error="engine says no")
    pump()
    (notice,) = notices(admin, Kind.WRITEBACK_FAILED)
    assert notice.body == "engine says no"


def test_a_conflicting_write_back_tells_the_admins_what_the_engine_says(admin, group):
    source = SourceFactory()
    task = lifecycle.task_create(title="Engine task", task_type="t", source=source, group=group)
    from inbox.models import OutboxCommand

    command = OutboxCommand.objects.create(source=source, task=task, action="complete")
    lifecycle.task_record_writeback_outcome(
        command=command, outcome="conflict", detail="the engine shows it rejected by dave"
    )
    pump()
    (notice,) = notices(admin, Kind.WRITEBACK_FAILED)
    assert "complete" in notice.title and "conflicted" in notice.title
    assert notice.body == "the engine shows it rejected by dave"


def test_a_source_that_keeps_failing_tells_each_admin_once(admin):
    Source.objects.create(
        name="flaky", kind="littlehorse", consecutive_failures=5, last_error="503"
    )
    scan()
    scan()
    assert len(notices(admin, Kind.SOURCE_FAILING)) == 1


def test_due_soon_then_overdue_each_reach_the_holder_once(assignee, group):
    due = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    task = lifecycle.task_create(title="Due", task_type="t", group=group, due_at=due)
    lifecycle.task_claim(task_id=task.id, user=assignee)
    settle()
    with time_machine.travel(due - timedelta(minutes=30), tick=False):
        scan()
        scan()
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        scan()
        scan()
    kinds = sorted(n.kind for n in notices(assignee))
    assert kinds == [Kind.DUE_SOON, Kind.OVERDUE]
    send_pending_mail()
    assert len(mail.outbox) == 2


def test_a_burst_of_new_tasks_sends_one_batched_notice_per_member(group, assignee, member):
    source = SourceFactory()
    rows = [
        {
            "external_id": f"x{i}",
            "wf_run_id": "r",
            "task_type": "t",
            "title": f"T{i}",
            "status": "UNASSIGNED",
            "group": group,
        }
        for i in range(5000)
    ]
    lifecycle.tasks_upstream_create(source=source, rows=rows)
    pump()
    for user in (assignee, member):
        (notice,) = notices(user, Kind.NEW_CLAIMABLE)
        assert notice.count == 5000
    send_pending_mail()
    assert mail.outbox == []  # the batch window is still open
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6)):
        send_pending_mail()
    assert sorted(m.to[0] for m in mail.outbox) == [assignee.email, member.email]
    assert "5000 new tasks to claim in finance" in mail.outbox[0].subject


def test_preference_off_silences_and_group_default_applies(admin, assignee, member, group, task):
    preference_set(user=assignee, kind=Kind.ASSIGNED, mode=Mode.OFF)
    group_default_set(group=group, kind=Kind.ASSIGNED, mode=Mode.DIGEST)
    other = TaskFactory(group=group)
    settle()
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    lifecycle.task_assign(task_id=other.id, actor=admin, user=member)
    pump()
    assert notices(assignee) == []
    (notice,) = notices(member)
    assert notice.mail_state == "digest"


def test_the_digest_goes_out_at_the_users_time_in_their_zone(admin, member, group):
    preference_set(user=member, kind=Kind.ASSIGNED, mode=Mode.DIGEST)
    UserSettings.objects.create(user=member, timezone="Europe/Berlin", digest_time="08:00")
    start = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    with time_machine.travel(start, tick=False):
        UserSettings.objects.filter(user=member).update(last_digest_at=start - timedelta(hours=1))
        tasks = [TaskFactory(group=group, title=f"Digest task {n}") for n in range(3)]
        settle()
        for task in tasks:
            lifecycle.task_assign(task_id=task.id, actor=admin, user=member)
        pump()
        assert send_digests() == 0  # not 08:00 in Berlin yet
    with time_machine.travel(start + timedelta(hours=1, minutes=1), tick=False):
        assert send_digests() == 1
        assert send_digests() == 0
    (message,) = mail.outbox
    assert "3 notifications" in message.subject
    assert "Digest task 2" in message.body


def test_a_replayed_import_notifies_nobody(group, member):
    source = SourceFactory()
    task = lifecycle.task_create(title="Engine", task_type="t", source=source, group=group)
    pump()
    Notification.objects.all().delete()
    changed = lifecycle.task_upstream_apply(
        task_id=task.id,
        source=source,
        values={"title": "Engine"},
        status="UNASSIGNED",
        assignee=None,
        group=group,
    )
    assert changed is False
    pump()
    assert Notification.objects.count() == 0


def test_the_bell_counts_unread_and_read_all_clears_it(admin, assignee, task):
    settle()
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    pump()
    client = Client()
    client.force_login(assignee)
    assert 'data-unread="1"' in client.get("/notifications/bell/").content.decode()
    assert client.get("/notifications/bell/?shown=1").status_code == 204
    page = client.get("/notifications/").content.decode()
    assert f"Assigned to you: {task.title}" in page
    notice = Notification.objects.get(user=assignee)
    response = client.post(f"/notifications/{notice.pk}/read/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.id}/"
    assert "data-unread" not in client.get("/notifications/bell/").content.decode()


def test_preferences_page_saves_and_refuses_a_bad_zone(assignee):
    client = Client()
    client.force_login(assignee)
    response = client.post(
        "/notifications/preferences/", {"mode_assigned": "digest", "timezone": "Mars/Base"}
    )
    assert response.status_code == 400
    assert "Unknown time zone" in response.content.decode()
    response = client.post(
        "/notifications/preferences/",
        {"mode_assigned": "digest", "timezone": "Europe/Berlin", "digest_time": "07:30"},
    )
    assert response.status_code == 302
    assert UserSettings.objects.get(user=assignee).timezone == "Europe/Berlin"
    assert 'value="digest" selected' in client.get("/notifications/preferences/").content.decode()


@pytest.mark.parametrize("flavour", ["slack", "teams"])
def test_chat_gets_the_notice_in_its_format(
    local_targets, receiver, admin, assignee, task, flavour
):
    from notifications.chat import send_chat

    settle()
    UserSettings.objects.create(user=assignee, chat_url=receiver.url, chat_format=flavour)
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    pump()
    (notice,) = notices(assignee)
    assert send_chat(notice.pk) == "sent"
    assert send_chat(notice.pk) == "skipped"
    (request,) = receiver.requests
    link = f"http://127.0.0.1:8000/tasks/{task.id}/"
    if flavour == "slack":
        assert f"Assigned to you: {task.title}" in request.json["text"]
        assert request.json["blocks"][1]["elements"][0]["url"] == link
    else:
        assert request.json["@type"] == "MessageCard"
        assert request.json["potentialAction"][0]["targets"][0]["uri"] == link


def test_chat_retries_back_off_and_stop_after_the_cap(
    local_targets, receiver, settings, admin, assignee, task
):
    from notifications.chat import due_chats, send_chat

    settings.CHAT_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 429, 503, 500, 500]
    settle()
    UserSettings.objects.create(user=assignee, chat_url=receiver.url)
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    pump()
    (notice,) = notices(assignee)
    start = datetime.now(UTC)
    assert send_chat(notice.pk) == "retry"
    assert send_chat(notice.pk) == "not-due"  # backing off, not every 30 s
    assert notice.pk not in due_chats()
    with time_machine.travel(start + timedelta(hours=1)):
        assert notice.pk in due_chats()
        assert send_chat(notice.pk) == "retry"
    with time_machine.travel(start + timedelta(hours=2)):
        assert send_chat(notice.pk) == "failed"
    with time_machine.travel(start + timedelta(days=1)):
        assert send_chat(notice.pk) == "skipped"
        assert notice.pk not in due_chats()
    assert len(receiver.requests) == 3
    notice.refresh_from_db()
    assert (notice.chat_state, notice.chat_attempts) == ("failed", 3)


def test_replaying_an_import_page_notifies_nobody_and_queues_nothing(group, member):
    from inbox.sync.base import Page, TaskRecord
    from inbox.sync.importer import Mapper, import_page
    from notifications.models import EventOutbox

    source = SourceFactory()
    records = [
        TaskRecord(
            external_id=f"p{i}", wf_run_id="r", task_type="t", title=f"P{i}", group="finance"
        )
        for i in range(3)
    ]
    import_page(source, Page(tasks=records), mapper=Mapper(source))
    pump()
    (notice,) = notices(member, Kind.NEW_CLAIMABLE)
    assert notice.count == 3
    stats = import_page(source, Page(tasks=records), mapper=Mapper(source))
    assert stats.tasks_unchanged == 3
    assert not EventOutbox.objects.exists()
    pump()
    assert Notification.objects.get(pk=notice.pk).count == 3
    assert Notification.objects.count() == 1
