"""Delegation: the holder hands a task to a member of its group, through the API and the task
page's form; refusals name the field; the new holder is notified and the history says so."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.absences import absence_create
from inbox import lifecycle
from inbox.models import TaskEvent
from notifications.fanout import pump
from notifications.models import Kind, Notification
from tests.api.conftest import assert_error, client_for
from tests.factories import TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(task, assignee):
    """The finance task, claimed by alice."""
    return lifecycle.task_claim(task_id=task.id, user=assignee)


def delegate(caller, task, **body):
    return client_for(caller).post(f"/api/v1/tasks/{task.id}/delegate/", body, format="json")


def test_the_holder_delegates_to_a_group_member_with_a_note(held, assignee, member):
    pump()
    Notification.objects.all().delete()
    response = delegate(assignee, held, user="bob", note="You know this customer")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ASSIGNED" and body["version"] == held.version + 1
    held.refresh_from_db()
    assert held.assignee == member
    event = held.events.filter(kind=TaskEvent.Kind.ASSIGNED).last()
    assert event.actor == assignee
    assert event.data["delegated"] is True and event.data["note"] == "You know this customer"
    # bob is told, once, with the note; alice (who acted) is not
    pump()
    (notice,) = Notification.objects.filter(user=member, kind=Kind.ASSIGNED)
    assert notice.title == f"Delegated to you by alice: {held}"
    assert notice.body == "You know this customer"
    assert not Notification.objects.filter(user=assignee).exists()
    # the history on the task page reads "delegated it to bob: You know this customer"
    page = Client()
    page.force_login(member)
    html = page.get(f"/tasks/{held.id}/").content.decode()
    assert "delegated it to bob: You know this customer" in html


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("mallory", "mallory is not a member of finance."),
        ("nobody-here", "Unknown user."),
        ("alice", "Choose someone else."),
        ("", "This field may not be blank."),
    ],
)
def test_a_wrong_recipient_is_a_400_naming_the_user_field(
    held, assignee, outsider, target, message
):
    body = assert_error(delegate(assignee, held, user=target), 400, "validation")
    assert body["fields"]["user"] == [message]
    held.refresh_from_db()
    assert held.assignee == assignee and held.version == 2  # nothing changed


def test_an_inactive_or_away_member_is_refused_naming_them(held, assignee, member, group):
    carol = UserFactory(username="carol", groups=[group])
    absence_create(
        user=member,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=2),
        substitute=carol,
    )
    body = assert_error(delegate(assignee, held, user="bob"), 400, "validation")
    assert body["fields"]["user"][0].startswith("bob is away until")
    assert "carol stands in for them" in body["fields"]["user"][0]
    carol.is_active = False
    carol.save()
    body = assert_error(delegate(assignee, held, user="carol"), 400, "validation")
    assert body["fields"]["user"] == ["carol is inactive."]


def test_an_overlong_note_is_refused_naming_the_note(held, assignee, member):
    body = assert_error(delegate(assignee, held, user="bob", note="x" * 1001), 400, "validation")
    assert "note" in body["fields"]


def test_only_the_holder_may_delegate_and_only_a_held_task(task, held, assignee, member):
    assert_error(delegate(member, held, user="alice"), 403, "forbidden")
    unclaimed = TaskFactory(group=held.group)
    assert_error(delegate(assignee, unclaimed, user="bob"), 409, "task_state")
    lifecycle.task_complete(task_id=held.id, user=assignee, results={"approved": True})
    assert_error(delegate(assignee, held, user="bob"), 409, "task_state")


def test_an_invisible_task_is_a_404(held, outsider):
    assert_error(delegate(outsider, held, user="mallory"), 404, "not_found")


def test_admins_may_delegate_anywhere_holders_not_outside_the_group(held, admin, outsider):
    assert lifecycle.outside_group_allowed(held) is False
    response = delegate(admin, held, user="mallory", note="legal must look")
    assert response.status_code == 200, response.content
    held.refresh_from_db()
    assert held.assignee == outsider and held.group.name == "finance"


def test_a_stale_if_match_is_a_412(held, assignee, member):
    response = client_for(assignee).post(
        f"/api/v1/tasks/{held.id}/delegate/", {"user": "bob"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error(response, 412, "precondition_failed")


def test_the_schema_documents_the_delegate_operation(admin):
    schema = client_for(admin).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/tasks/{task_id}/delegate/"]["post"]
    assert operation["operationId"] == "tasks_delegate"
    assert {"200", "400", "403", "404", "409", "412"} <= set(operation["responses"])
    assert "/api/v1/me/absences/" in schema["paths"]


def test_the_task_page_form_delegates_and_shows_errors_next_to_the_picker(
    held, assignee, member, outsider
):
    page = Client()
    page.force_login(assignee)
    html = page.get(f"/tasks/{held.id}/").content.decode()
    assert 'id="delegate-form"' in html and '<option value="bob"' in html
    assert '<option value="mallory"' not in html  # only members of the group are offered
    response = page.post(f"/tasks/{held.id}/", {"delegate": "1", "user": "mallory"})
    assert response.status_code == 400
    assert "mallory is not a member of finance." in response.content.decode()
    response = page.post(f"/tasks/{held.id}/", {"delegate": "1", "user": "bob", "note": "yours"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.assignee == member
