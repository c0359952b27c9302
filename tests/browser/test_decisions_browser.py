"""Decisions in a real browser: an explicit choice, confirmation of what cannot be undone (with
and without JavaScript), a task page that refreshes itself, times in the browser's zone."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox import lifecycle
from inbox.models import Case, OutboxCommand, TaskStatus, UserTask
from tests.factories import GroupFactory, SourceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser

FIELDS = [
    {"name": "approved", "display_name": "Approve", "type": "BOOLEAN", "required": True},
    {"name": "note", "display_name": "Note", "type": "STRING", "required": False},
]


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
        "admin": admin,
    }


def held_task(people, title):
    task = TaskFactory(group=people["finance"], title=title, fields=FIELDS)
    lifecycle.task_claim(task_id=task.pk, user=people["alice"])
    return task


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_complete_needs_a_choice_and_reject_asks_first(open_session, people, javascript):
    task = held_task(people, "Refund request")
    me = open_session(people["alice"], javascript=javascript)
    page = me.go(f"/tasks/{task.pk}/")
    # Nothing is preselected: Complete without choosing is refused next to the field.
    expect(page.locator("input[name=f_approved]:checked")).to_have_count(0)
    page.click("button[name=complete]")
    expect(page.locator("#field-approved-err")).to_have_text("Choose Yes or No.")
    assert UserTask.objects.get(pk=task.pk).status == TaskStatus.ASSIGNED
    # No (reject) asks for confirmation before anything is sent.
    page.check("input[name=f_approved][value=false]")
    page.fill("#field-note", "duplicate")
    page.click("button[name=complete]")
    confirm = page.locator("[data-confirm-reject]")
    expect(confirm).to_contain_text("Reject “Refund request”?")
    assert UserTask.objects.get(pk=task.pk).status == TaskStatus.ASSIGNED
    expect(page.locator("#field-note")).to_have_value("duplicate")
    confirm.get_by_role("button", name="Yes, reject").click()
    expect(page.locator(".task-head .status")).to_have_text("Done")
    task.refresh_from_db()
    assert task.results["approved"]["value"] is False


def test_approve_completes_without_a_question(open_session, people):
    task = held_task(people, "Approve me")
    page = open_session(people["alice"]).go(f"/tasks/{task.pk}/")
    page.check("input[name=f_approved][value=true]")
    page.click("button[name=complete]")
    expect(page.locator(".task-head .status")).to_have_text("Done")


def test_case_close_asks_for_confirmation(open_session, people):
    source = SourceFactory(name="cf-close", kind="cloudflare")
    case = Case.objects.create(
        source=source, external_id="wf-9", name="Onboarding", status="running"
    )
    admin = open_session(people["admin"])
    page = admin.go(f"/cases/{case.pk}/")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("button", name="Close")).to_be_visible()
    assert questions and questions[0].startswith("Close this case in cf-close?")
    assert not OutboxCommand.objects.filter(case=case).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Close").click()
    expect(page.locator(".toast").last).to_contain_text("Asked cf-close to close this case")
    assert OutboxCommand.objects.filter(case=case, action="case_close").count() == 1


def test_case_close_without_javascript_has_a_confirmation_page(open_session, people):
    source = SourceFactory(name="cf-nojs", kind="cloudflare")
    case = Case.objects.create(
        source=source, external_id="wf-8", name="Offboarding", status="running"
    )
    page = open_session(people["admin"], javascript=False).go(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("h1")).to_have_text("Close this case in cf-nojs?")
    assert not OutboxCommand.objects.filter(case=case).exists()
    page.get_by_role("button", name="Yes, close the case").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    assert OutboxCommand.objects.filter(case=case, action="case_close").count() == 1


def test_the_task_page_refreshes_itself_and_says_who_reassigned_it(open_session, people):
    task = held_task(people, "Watch me")
    me = open_session(people["alice"])
    page = me.go(f"/tasks/{task.pk}/")
    expect(page.locator("button[name=complete]")).to_be_visible()
    lifecycle.task_assign(task_id=task.pk, actor=people["admin"], user="bob")
    expect(page.locator("[data-reassigned]")).to_have_text(
        "Reassigned to bob by ada.", timeout=12000
    )
    expect(page.locator("button[name=complete]")).to_have_count(0)


def test_times_show_in_the_browser_time_zone_with_the_zone_named(browser, live_server, people):
    task = held_task(people, "Zoned")
    lifecycle.task_complete(task_id=task.pk, user=people["alice"], results={"approved": True})
    from datetime import UTC, datetime

    from django.test import Client

    UserTask.objects.filter(pk=task.pk).update(completed_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    client = Client()
    client.force_login(people["alice"])
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(live_server.url + "/history/")  # sets the zone cookie from the browser
        page.goto(live_server.url + "/history/")
        expect(page.locator("[data-time-zone]")).to_have_text("Asia/Tokyo")
        expect(page.locator("tr[data-task-row] td.completed")).to_have_text("Jan 1, 09:30")
    finally:
        context.close()


def test_bulk_cancel_asks_then_reports_the_engine_refusal_per_task(open_session, people):
    TaskFactory(group=people["finance"], title="Local errand")
    uipath = SourceFactory(name="uip-bulk", kind="uipath")
    TaskFactory(group=people["finance"], title="UiPath invoice", source=uipath, external_id="77")
    page = open_session(people["admin"]).go("/console/tasks/")
    for title in ("Local errand", "UiPath invoice"):
        page.locator("tr[data-task-row]", has_text=title).locator("input[name=task]").check()
    page.click("summary:has-text('Cancel…')")
    page.fill("#bulk-form input[name=reason]", "cleanup")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button[name=cancel]")
    expect(page.locator("button[name=cancel]")).to_be_visible()
    assert questions == ["Cancel the selected tasks? This cannot be undone."]
    assert not UserTask.objects.filter(status=TaskStatus.CANCELLED).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=cancel]")
    report = page.locator("#bulk-report")
    expect(report.locator("li.ok")).to_contain_text("Local errand")
    expect(report.locator("li.fail")).to_contain_text(
        "UiPath invoice: UiPath cannot cancel one action task; an admin can close the case."
    )
    assert UserTask.objects.get(title="UiPath invoice").status == TaskStatus.UNASSIGNED
    assert UserTask.objects.get(title="Local errand").status == TaskStatus.CANCELLED
