"""Out of office: absences set through the API and the profile page (bad input names the
field), assignments by an admin or a creating client go to the substitute while the absence
runs ("for alice, who is away"), claimable notices too, held tasks go back to their groups
once when asked, and after the absence routing is normal again."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.absences import absence_create
from accounts.models import Absence
from inbox import lifecycle
from inbox.models import TaskEvent
from notifications.fanout import pump
from notifications.models import Kind, Notification
from tests.api.conftest import assert_error, client_for
from tests.factories import SourceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def iso(moment: datetime) -> str:
    return moment.isoformat()


def away(user, substitute, *, start=-1, hours=48, return_tasks=False) -> Absence:
    now = timezone.now()
    return absence_create(
        user=user,
        starts_at=now + timedelta(hours=start),
        ends_at=now + timedelta(hours=start + hours),
        substitute=substitute,
        return_tasks=return_tasks,
    )


def post_absence(user, **body):
    return client_for(user).post("/api/v1/me/absences/", body, format="json")


def test_an_absence_is_added_listed_and_removed_through_the_api(assignee, member):
    now = timezone.now()
    response = post_absence(
        assignee,
        starts_at=iso(now + timedelta(days=1)),
        ends_at=iso(now + timedelta(days=8)),
        substitute="bob",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["substitute"] == "bob" and created["active"] is False
    listed = client_for(assignee).get("/api/v1/me/absences/").json()
    assert [a["id"] for a in listed] == [created["id"]]
    assert client_for(member).get("/api/v1/me/absences/").json() == []  # only your own
    assert_error(
        client_for(member).delete(f"/api/v1/me/absences/{created['id']}/"), 404, "not_found"
    )
    assert client_for(assignee).delete(f"/api/v1/me/absences/{created['id']}/").status_code == 204
    assert client_for(assignee).get("/api/v1/me/absences/").json() == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ends_at": -30}, "ends_at", "Must be after the start."),
        ({"starts_at": -72, "ends_at": -48}, "ends_at", "Must be in the future."),
        ({"substitute": "alice"}, "substitute", "Choose someone other than yourself."),
        ({"substitute": "ghost"}, "substitute", "No user named 'ghost'."),
        ({"substitute": "eve"}, "substitute", "eve is inactive."),
        ({"starts_at": 30, "ends_at": 60}, "starts_at", "Overlaps your absence from"),
    ],
)
def test_bad_absences_are_a_400_naming_the_field(assignee, member, change, field, message):
    UserFactory(username="eve", is_active=False)
    now = timezone.now()
    away(assignee, member, start=24, hours=48)  # tomorrow, for two days
    body = {
        "starts_at": iso(now + timedelta(days=10)),
        "ends_at": iso(now + timedelta(days=11)),
        "substitute": "bob",
    }
    for key, value in change.items():
        body[key] = iso(now + timedelta(hours=value)) if key.endswith("_at") else value
    error = assert_error(post_absence(assignee, **body), 400, "validation")
    assert error["fields"][field][0].startswith(message), error
    assert Absence.objects.filter(user=assignee).count() == 1


def test_a_malformed_date_is_a_400_naming_the_field(assignee, member):
    body = {"starts_at": "tomorrow", "ends_at": "2099-01-01T00:00Z", "substitute": "bob"}
    error = assert_error(post_absence(assignee, **body), 400, "validation")
    assert "starts_at" in error["fields"]


def test_an_admin_assignment_to_someone_away_goes_to_the_substitute(admin, assignee, member, task):
    away(assignee, member)
    lifecycle.task_assign(task_id=task.id, actor=admin, user="alice")
    task.refresh_from_db()
    assert task.assignee == member
    event = task.events.filter(kind=TaskEvent.Kind.ASSIGNED).last()
    assert event.data["away_for"] == {"id": assignee.pk, "username": "alice"}
    pump()
    (notice,) = Notification.objects.filter(user=member, kind=Kind.ASSIGNED)
    assert notice.title == f"Assigned to you for alice, who is away: {task}"
    assert not Notification.objects.filter(user=assignee, kind=Kind.ASSIGNED).exists()
    page = Client()
    page.force_login(member)
    html = page.get(f"/tasks/{task.id}/").content.decode()
    assert "for alice, who is away" in html
    assert "assigned it to bob for alice, who is away" in html
    detail = client_for(member).get(f"/api/v1/tasks/{task.id}/").json()
    assert detail["held_for"] == {"id": assignee.pk, "username": "alice"}
    lifecycle.task_release(task_id=task.id, user=member)
    assert client_for(member).get(f"/api/v1/tasks/{task.id}/").json()["held_for"] is None


def test_a_task_created_for_someone_away_starts_with_the_substitute(admin, assignee, member):
    away(assignee, member)
    response = client_for(admin).post(
        "/api/v1/tasks/",
        {"title": "Sign", "type": "sign", "group": "finance", "user": "alice"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = TaskEvent.objects.get(task_id=response.json()["id"], kind="CREATED")
    assert created.data["user"]["username"] == "bob"
    assert created.data["away_for"]["username"] == "alice"


def test_after_the_absence_routing_is_normal_again(admin, assignee, member, group):
    away(assignee, member, start=1, hours=24)  # from in an hour, for a day
    before, during, after = (
        TaskFactory(group=group),
        TaskFactory(group=group),
        TaskFactory(group=group),
    )
    lifecycle.task_assign(task_id=before.id, actor=admin, user="alice")
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        lifecycle.task_assign(task_id=during.id, actor=admin, user="alice")
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=26)):
        lifecycle.task_assign(task_id=after.id, actor=admin, user="alice")
    holders = [t.assignee.username for t in (before, during, after) if t.refresh_from_db() is None]
    assert holders == ["alice", "bob", "alice"]


def test_a_substitute_who_is_away_too_passes_it_on(admin, assignee, member, task, group):
    carol = UserFactory(username="carol", groups=[group])
    away(assignee, member)
    away(member, carol)
    lifecycle.task_assign(task_id=task.id, actor=admin, user="alice")
    task.refresh_from_db()
    assert task.assignee == carol
    away(carol, assignee)  # a loop: the first substitute keeps it
    other = TaskFactory(group=group)
    lifecycle.task_assign(task_id=other.id, actor=admin, user="alice")
    other.refresh_from_db()
    assert other.assignee == member


def test_claimable_notices_of_someone_away_go_to_their_substitute(assignee, member, group):
    carol = UserFactory(username="carol")  # not in finance: told only while standing in
    away(assignee, carol)
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
        for i in range(3)
    ]
    lifecycle.tasks_upstream_create(source=source, rows=rows)
    pump()
    assert not Notification.objects.filter(user=assignee).exists()
    (for_bob,) = Notification.objects.filter(user=member, kind=Kind.NEW_CLAIMABLE)
    assert for_bob.title == "New tasks to claim in finance" and for_bob.count == 3
    (for_carol,) = Notification.objects.filter(user=carol, kind=Kind.NEW_CLAIMABLE)
    assert for_carol.title == "New tasks to claim in finance (for alice, who is away)"


def test_held_tasks_go_back_to_their_groups_once_when_the_absence_starts(assignee, member, group):
    held = [TaskFactory(group=group, user=assignee) for _ in range(2)]
    away(assignee, member, start=1, hours=24, return_tasks=True)
    assert lifecycle.tasks_return_for_absences() == 0  # not started yet
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        assert lifecycle.tasks_return_for_absences() == 2
        assert lifecycle.tasks_return_for_absences() == 0  # once
    for task in held:
        task.refresh_from_db()
        assert task.status == "UNASSIGNED" and task.assignee is None and task.group == group
        event = task.events.filter(kind="ASSIGNED").last()
        assert event.actor == assignee and event.data["old_user"]["username"] == "alice"
    assert Absence.objects.get(user=assignee).returned_at is not None


def test_an_absence_starting_now_returns_held_tasks_at_once_and_others_keep_theirs(
    assignee, member, group
):
    mine = TaskFactory(group=group, user=assignee)
    bobs = TaskFactory(group=group, user=member)
    now = timezone.now()
    response = post_absence(
        assignee,
        starts_at=iso(now - timedelta(minutes=1)),
        ends_at=iso(now + timedelta(days=1)),
        substitute="bob",
        return_tasks=True,
    )
    assert response.status_code == 201 and response.json()["returned_at"]
    mine.refresh_from_db()
    bobs.refresh_from_db()
    assert mine.status == "UNASSIGNED" and bobs.assignee == member


def test_the_profile_page_adds_an_absence_and_shows_errors_next_to_fields(assignee, member):
    page = Client()
    page.force_login(assignee)
    response = page.post(
        "/profile/",
        {
            "add_absence": "1",
            "starts_at": "2099-01-10T09:00",
            "ends_at": "2099-01-09T09:00",
            "substitute": "bob",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="absence-until-err"' in html and "Must be after the start." in html
    assert 'value="bob"' in html  # what was typed is kept
    response = page.post(
        "/profile/",
        {
            "add_absence": "1",
            "starts_at": "2099-01-10T09:00",
            "ends_at": "2099-01-20T18:00",
            "substitute": "bob",
        },
    )
    assert response.status_code == 302
    html = page.get("/profile/").content.decode()
    assert "bob stands in" in html
    absence = Absence.objects.get(user=assignee)
    response = page.post("/profile/", {"delete_absence": str(absence.pk)})
    assert response.status_code == 302 and not Absence.objects.exists()


def test_the_beat_job_gives_back_held_tasks_of_started_absences(settings, assignee, member, group):
    from inbox import tasks as inbox_tasks

    entry = settings.CELERY_BEAT_SCHEDULE["return-absent-tasks"]
    assert entry["task"] == inbox_tasks.return_absent_tasks.name
    held = TaskFactory(group=group, user=assignee)
    away(assignee, member, start=1, hours=24, return_tasks=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        assert inbox_tasks.return_absent_tasks.apply().get() == 1
        assert inbox_tasks.return_absent_tasks.apply().get() == 0
    held.refresh_from_db()
    assert held.status == "UNASSIGNED"
