"""The event feed: every visible event once, in order, across pages; the rest hidden; events
that commit late still come after a cursor already handed out."""

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from inbox import lifecycle
from inbox.models import TaskEvent
from notifications.fanout import pump
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def read_all(user, limit=2):
    client = APIClient()
    client.force_authenticate(user)
    seen, after = [], "0"
    for _ in range(100):
        body = client.get(f"/api/v1/events/?after={after}&limit={limit}").json()
        seen += body["results"]
        after = body["next"]
        if not body["more"]:
            return seen, after
    raise AssertionError("the feed never ended")


def test_each_visible_event_once_across_pages_and_the_rest_hidden(
    admin, assignee, member, outsider, group, other_group
):
    mine = TaskFactory(group=group)
    theirs = TaskFactory(group=other_group)
    lifecycle.task_claim(task_id=mine.id, user=assignee)
    lifecycle.comment_add(task_id=mine.id, user=assignee, text="note")
    lifecycle.task_claim(task_id=theirs.id, user=outsider)
    lifecycle.task_complete(task_id=mine.id, user=assignee, results={"approved": True})
    pump()
    events, cursor = read_all(member)
    expected = list(TaskEvent.objects.filter(task=mine).order_by("id").values_list("id", flat=True))
    assert [e["id"] for e in events] == expected
    assert [e["kind"] for e in events] == ["CREATED", "ASSIGNED", "COMMENT_ADDED", "COMPLETED"]
    assert {e["task_id"] for e in events} == {str(mine.id)}
    outsider_events, _ = read_all(outsider)
    assert {e["task_id"] for e in outsider_events} == {str(theirs.id)}
    assert len(read_all(admin, limit=3)[0]) == TaskEvent.objects.count()

    lifecycle.comment_add(task_id=mine.id, user=member, text="later")
    pump()
    client = APIClient()
    client.force_authenticate(member)
    later = client.get(f"/api/v1/events/?after={cursor}").json()
    assert [e["data"].get("text") for e in later["results"]] == ["later"]


def test_a_bad_cursor_is_a_clear_400(member):
    client = APIClient()
    client.force_authenticate(member)
    for bad in ("abc", "²", "١٢", "-1"):
        response = client.get("/api/v1/events/", {"after": bad})
        assert response.status_code == 400, bad
        assert "after" in response.json()["fields"]
    assert APIClient().get("/api/v1/events/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_late_comes_after_cursors_already_handed_out(admin, group):
    early, late = TaskFactory(group=group), TaskFactory(group=group)
    pump()
    started, release = threading.Event(), threading.Event()

    def slow_comment():
        try:
            with transaction.atomic():
                lifecycle.comment_add(task_id=early.id, user=admin, text="slow")  # lower id
                started.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_comment)
    thread.start()
    started.wait(10)
    lifecycle.comment_add(task_id=late.id, user=admin, text="fast")  # higher id, commits first
    pump()
    _, cursor = read_all(admin)
    release.set()
    thread.join()
    pump()
    client = APIClient()
    client.force_authenticate(admin)
    after = client.get(f"/api/v1/events/?after={cursor}").json()["results"]
    assert [e["data"]["text"] for e in after] == ["slow"]


def test_a_reader_who_sees_little_of_a_busy_feed_still_moves_forward(member, group, other_group):
    from tests.factories import SourceFactory

    source = SourceFactory()
    rows = [
        {
            "external_id": f"o{i}",
            "wf_run_id": "r",
            "task_type": "t",
            "title": f"T{i}",
            "status": "UNASSIGNED",
            "group": other_group,
        }
        for i in range(5100)
    ]
    lifecycle.tasks_upstream_create(source=source, rows=rows)
    mine = TaskFactory(group=group)
    pump()
    client = APIClient()
    client.force_authenticate(member)
    first = client.get("/api/v1/events/").json()
    assert (first["results"], first["more"]) == ([], True)
    second = client.get(f"/api/v1/events/?after={first['next']}").json()
    assert [e["task_id"] for e in second["results"]] == [str(mine.id)]
    assert second["more"] is False
