"""Lists say true things: times in the user's time zone (profile, else the browser's) with the
zone named; Cases ordered by start time."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from inbox import lifecycle
from inbox.models import Case, UserTask
from tests.api.conftest import client_for
from tests.factories import SourceFactory, TaskFactory

FINISHED = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)


def finished_task(group, assignee):
    task = TaskFactory(group=group, title="Paid the invoice")
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    lifecycle.task_complete(task_id=task.pk, user=assignee, results={"approved": True})
    UserTask.objects.filter(pk=task.pk).update(completed_at=FINISHED)
    return task


def test_times_follow_the_browser_zone_and_name_it(client, assignee, group):
    finished_task(group, assignee)
    client.force_login(assignee)
    client.cookies["tz"] = "America/New_York"
    body = client.get(reverse("inbox:history")).content.decode()
    assert "Dec 31, 19:30" in body  # 00:30 UTC in New York
    assert "America/New_York" in body and "data-time-zone" in body


def test_the_profile_zone_wins_over_the_browser(client, assignee, group):
    finished_task(group, assignee)
    client.force_login(assignee)
    client.cookies["tz"] = "America/New_York"
    response = client.post(reverse("profile"), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assignee.refresh_from_db()
    assert assignee.time_zone == "Asia/Tokyo"
    body = client.get(reverse("inbox:history")).content.decode()
    assert "Jan 1, 09:30" in body and "Asia/Tokyo" in body
    # Blank goes back to the browser's zone.
    client.post(reverse("profile"), {"time_zone": ""})
    assert "Dec 31, 19:30" in client.get(reverse("inbox:history")).content.decode()


def test_an_unknown_zone_is_a_clear_400(client, assignee):
    client.force_login(assignee)
    response = client.post(reverse("profile"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Mars/Olympus&#x27; is not a time zone" in response.content.decode()
    assignee.refresh_from_db()
    assert assignee.time_zone == ""


def test_a_bogus_zone_cookie_falls_back_to_the_server_zone(client, assignee, group):
    finished_task(group, assignee)
    client.force_login(assignee)
    client.cookies["tz"] = "<script>"
    body = client.get(reverse("inbox:history")).content.decode()
    assert "Jan 1, 00:30" in body and "<script>" not in body


def test_cases_are_ordered_by_start_time(client, admin):
    source = SourceFactory(name="cf-order", kind="cloudflare")
    base = datetime(2026, 3, 1, tzinfo=UTC)
    # Created (pk order) differently from started order; a case without a start counts as
    # started when the inbox first saw it (now: the newest).
    for name, offset in (("Middle", 2), ("Latest", 5), ("No start", None), ("Earliest", 0)):
        Case.objects.create(
            source=source,
            external_id=name,
            name=name,
            started_at=None if offset is None else base + timedelta(days=offset),
        )
    client.force_login(admin)
    body = client.get(reverse("inbox:cases")).content.decode()
    positions = [body.index(f">{n}<") for n in ("No start", "Latest", "Middle", "Earliest")]
    assert positions == sorted(positions)
    api = client_for(admin)
    names, bookmark = [], None
    while True:
        params = {"limit": 1, **({"bookmark": bookmark} if bookmark else {})}
        page = api.get("/api/v1/cases/", params).json()
        names += [c["name"] for c in page["results"]]
        bookmark = page.get("bookmark")
        if not bookmark:
            break
    assert names == ["No start", "Latest", "Middle", "Earliest"]
