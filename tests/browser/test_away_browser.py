"""Delegation and out of office in a real browser: alice hands a task to bob from the task
page (a wrong pick is explained next to the picker), and sets an absence on her profile page,
after which an admin's assignment to her lands with bob, "for alice, who is away"."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from accounts.absences import absence_create
from accounts.models import Absence
from inbox import lifecycle
from inbox.models import UserTask
from tests.factories import GroupFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db):
    finance = GroupFactory(name="finance")
    admin = UserFactory(username="ada")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    return {
        "finance": finance,
        "alice": UserFactory(username="alice", groups=[finance]),
        "bob": UserFactory(username="bob", groups=[finance]),
        "carol": UserFactory(username="carol", groups=[finance]),
        "admin": admin,
    }


def test_the_holder_delegates_a_task_to_a_colleague_with_a_note(open_session, people):
    task = TaskFactory(group=people["finance"], title="Check invoice 42")
    lifecycle.task_claim(task_id=task.id, user=people["alice"])
    now = timezone.now()
    absence_create(
        user=people["carol"],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        substitute=people["bob"],
    )
    alice = open_session(people["alice"])
    page = alice.go(f"/tasks/{task.id}/")
    page.click("[data-delegate-open]")
    options = page.locator("#delegate-user option")
    expect(options).to_have_text(
        ["Choose a member of finance…", "bob", re.compile(r"carol \(away until .+\)")]
    )
    # carol is away: refused, explained next to the picker, nothing changes
    page.select_option("#delegate-user", "carol")
    page.fill("#delegate-note", "urgent")
    page.click("button[data-delegate]")
    expect(page.locator("#delegate-err")).to_contain_text("carol is away until")
    alice.shot("delegate-refused")
    expect(page.locator("#delegate-note")).to_have_value("urgent")
    assert UserTask.objects.get(pk=task.pk).assignee == people["alice"]
    page.select_option("#delegate-user", "bob")
    page.fill("#delegate-note", "You know this supplier")
    page.click("button[data-delegate]")
    expect(page.locator(".toast", has_text="Delegated to bob")).to_be_visible()
    expect(page.locator(".task-head .meta")).to_contain_text("Assigned to bob")
    expect(page.locator(".timeline")).to_contain_text("delegated it to bob: You know this supplier")
    expect(page.locator("[data-delegate-open]")).to_have_count(0)  # no longer hers to hand on
    # bob sees it as his, with the note in his notifications
    bob = open_session(people["bob"])
    page = bob.go(f"/tasks/{task.id}/")
    expect(page.locator(".task-head .meta")).to_contain_text("Assigned to you")
    expect(page.locator("button[name=complete]")).to_be_visible()


def test_an_absence_set_on_the_profile_sends_assignments_to_the_substitute(open_session, people):
    task = TaskFactory(group=people["finance"], title="Approve travel")
    # The profile page is plain forms: it works the same without JavaScript (a bad absence is
    # a 400 page with the message next to the field).
    alice = open_session(people["alice"], javascript=False)
    page = alice.go("/profile/")
    expect(page.locator("[data-no-absences]")).to_be_visible()
    fmt = "%Y-%m-%dT%H:%M"
    start = timezone.localtime() - timedelta(minutes=5)
    page.fill("#absence-from", start.strftime(fmt))
    page.fill("#absence-until", (start - timedelta(days=1)).strftime(fmt))
    page.fill("#absence-substitute", "bob")
    page.click("button[name=add_absence]")
    expect(page.locator("#absence-until-err")).to_have_text("Must be after the start.")
    expect(page.locator("#absence-substitute")).to_have_value("bob")
    page.fill("#absence-from", start.strftime(fmt))
    page.fill("#absence-until", (start + timedelta(days=7)).strftime(fmt))
    page.click("button[name=add_absence]")
    expect(page.locator(".toast", has_text="bob stands in")).to_be_visible()
    expect(page.locator("[data-absences] li")).to_contain_text("bob stands in")
    expect(page.locator("[data-away-now]")).to_be_visible()
    alice.shot("profile-absence")
    assert Absence.objects.get(user=people["alice"]).substitute == people["bob"]

    # an admin assigns the task to alice: it lands with bob, who reads why
    admin = open_session(people["admin"])
    page = admin.go(f"/tasks/{task.id}/")
    page.fill("input[name=user]", "alice")
    page.click("button[name=assign]")
    expect(page.locator(".toast", has_text="Assigned to bob")).to_be_visible()
    bob = open_session(people["bob"])
    page = bob.go(f"/tasks/{task.id}/")
    expect(page.locator("[data-away-note]")).to_have_text("for alice, who is away")
    bob.shot("task-for-someone-away")
    expect(page.locator(".timeline")).to_contain_text("assigned it to bob for alice, who is away")

    # alice comes back early: she removes the absence and assignments reach her again
    page = alice.go("/profile/")
    page.click("button[name=delete_absence]")
    expect(page.locator("[data-no-absences]")).to_be_visible()
    other = TaskFactory(group=people["finance"], title="Approve hotel")
    lifecycle.task_assign(task_id=other.id, actor=people["admin"], user="alice")
    assert UserTask.objects.get(pk=other.pk).assignee == people["alice"]
