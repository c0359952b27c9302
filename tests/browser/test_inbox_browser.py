"""The inbox in a real browser: what staff and admins do all day."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox import lifecycle
from inbox.models import Case, TaskStatus, UserTask
from tests.factories import GroupFactory, SourceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser

FIELDS = [
    {"name": "approved", "display_name": "Approve?", "type": "BOOLEAN", "required": True},
    {
        "name": "nights",
        "display_name": "Nights",
        "type": "INTEGER",
        "required": True,
        "description": "Whole nights only.",
    },
    {"name": "amount", "display_name": "Amount (EUR)", "type": "DOUBLE", "required": False},
    {"name": "note", "display_name": "Note", "type": "STRING", "required": False},
]


@pytest.fixture
def people(transactional_db):
    finance = GroupFactory(name="finance")
    admin = UserFactory(username="ada", first_name="Ada", last_name="Admin")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    return {
        "finance": finance,
        "alice": UserFactory(username="alice", first_name="Alice", groups=[finance]),
        "bob": UserFactory(username="bob", first_name="Bob", groups=[finance]),
        "admin": admin,
    }


def row(page, title):
    return page.locator("tr[data-task-row]", has_text=title)


def test_staff_signs_in_filters_claims_fixes_a_wrong_value_completes_and_finds_it_in_history(
    open_session, people
):
    TaskFactory(group=people["finance"], title="Travel to Lisbon", fields=FIELDS)
    TaskFactory(group=people["finance"], title="Office chairs", fields=FIELDS)
    me = open_session()
    page = me.go("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    me.shot("login")
    page.fill("#id_login", "alice")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("My tasks")

    page.click("nav >> text=Claimable")
    expect(row(page, "Office chairs")).to_be_visible()
    page.fill("#f-q", "Lisbon")
    expect(row(page, "Office chairs")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=Lisbon"))
    row(page, "Travel to Lisbon").get_by_role("button", name="Claim").click()
    expect(page.locator(".toast", has_text="Claimed")).to_be_visible()
    # the list refreshes itself: the claimed task leaves Claimable and shows up in My tasks
    expect(row(page, "Travel to Lisbon")).to_have_count(0, timeout=10000)
    page.click("nav >> text=My tasks")
    page.click("text=Travel to Lisbon")
    expect(page.locator("h1")).to_have_text("Travel to Lisbon")
    page.check("input[name=f_approved][value=true]")
    page.fill("#field-nights", "1.5")
    page.fill("#field-note", "booked")
    page.click("button[name=complete]")
    expect(page.locator("#field-nights-err")).to_have_text("Must be a whole number.")
    expect(page.locator("#field-nights")).to_have_value("1.5")
    expect(page.locator("#field-note")).to_have_value("booked")
    expect(page.locator("input[name=f_approved][value=true]")).to_be_checked()
    me.shot("task-detail-error")

    page.fill("#field-nights", "2")
    page.click("button[name=complete]")
    expect(page.locator(".task-head .status")).to_have_text("Done")
    expect(page.locator(".toast").first).to_contain_text("Completed")

    page.click("nav >> text=History")
    expect(row(page, "Travel to Lisbon")).to_be_visible()
    task = UserTask.objects.get(title="Travel to Lisbon")
    assert task.status == TaskStatus.DONE and task.results["nights"]["value"] == 2


def test_two_people_claim_the_same_task_at_once_and_the_loser_is_told(open_session, people):
    TaskFactory(group=people["finance"], title="Contested task", fields=FIELDS)
    alice, bob = open_session(people["alice"]), open_session(people["bob"])
    for session in (alice, bob):
        session.go("/claimable/")
        expect(row(session.page, "Contested task")).to_be_visible()
    buttons = [
        row(s.page, "Contested task").get_by_role("button", name="Claim") for s in (alice, bob)
    ]
    for button in buttons:
        button.click(no_wait_after=True)
    for session in (alice, bob):
        expect(
            row(session.page, "Contested task").locator(".row-error, [data-release]")
        ).to_be_visible()
    task = UserTask.objects.get(title="Contested task")
    winner, loser = (alice, bob) if task.assignee.username == "alice" else (bob, alice)
    expect(row(winner.page, "Contested task").get_by_role("button", name="Release")).to_be_visible()
    expect(row(loser.page, "Contested task").locator(".row-error")).to_contain_text(
        f"Already claimed by {task.assignee.username}"
    )


def test_admin_reassigns_a_task_and_the_new_assignee_sees_it_without_reloading(
    open_session, people
):
    task = TaskFactory(group=people["finance"], title="Move me to Bob", user=people["alice"])
    bob = open_session(people["bob"])
    bob.go("/")
    expect(bob.page.locator(".empty")).to_be_visible()

    admin = open_session(people["admin"])
    page = admin.go(f"/tasks/{task.pk}/")
    page.fill("#assign-form input[name=user]", "bo")
    expect(page.locator("#user-options option[value=bob]")).to_have_count(1)
    page.fill("#assign-form input[name=user]", "bob")
    page.click("button[name=assign]")
    expect(page.locator(".toast").last).to_contain_text("Assigned to bob")

    expect(row(bob.page, "Move me to Bob")).to_be_visible(timeout=12000)
    assert bob.page.url.endswith("/")


def test_keyboard_navigation_claims_a_task(open_session, people):
    for n in range(3):
        TaskFactory(group=people["finance"], title=f"Keyboard task {n}")
    bob = open_session(people["bob"])
    page = bob.go("/claimable/")
    expect(page.locator("tr[data-task-row]")).to_have_count(3)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.is-selected")).to_contain_text("Keyboard task 1")
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("c")
    expect(row(page, "Keyboard task 1").get_by_role("button", name="Release")).to_be_visible()
    assert UserTask.objects.get(title="Keyboard task 1").assignee == people["bob"]
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    expect(page.locator("tr.is-selected")).to_contain_text("Keyboard task 1")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Keyboard task 1")


def test_every_page_renders_without_console_errors(open_session, people):
    source = SourceFactory(
        name="uipath-demo",
        kind="uipath",
        last_error="HTTP 503 Service Unavailable",
        consecutive_failures=1,
    )
    SourceFactory(name="littlehorse", kind="littlehorse")
    case = Case.objects.create(
        source=source,
        external_id="case-7",
        name="Loan application 7",
        status="running",
        progress_done=1,
        progress_total=3,
        history=[{"event": "Started", "by": "api"}],
    )
    stage_task = TaskFactory(
        group=people["finance"],
        title="Check income proof",
        fields=FIELDS,
        source=source,
        external_id="act-1",
        case=case,
    )
    case.stages.create(
        external_id="s1",
        name="Intake",
        position=0,
        status="Completed",
        sla={"due": "P1D"},
        tasks=[],
    )
    case.stages.create(
        external_id="s2",
        name="Review",
        position=1,
        status="InProgress",
        sla={"due": "P2D", "breached": False},
        tasks=[[{"id": "act-1", "name": "Check income proof", "type": "action"}]],
    )
    case.stages.create(external_id="s3", name="Decision", position=2, status="NotStarted", tasks=[])
    for n, title in enumerate(
        ["Travel to Lisbon", "Client dinner", "New laptops", "Conference tickets"]
    ):
        t = TaskFactory(
            group=people["finance"],
            title=title,
            fields=FIELDS,
            context={"customer": "Globex", "region": "EU"},
        )
        if n == 1:
            lifecycle.task_claim(task_id=t.pk, user=people["alice"])
        if n == 2:
            lifecycle.task_claim(task_id=t.pk, user=people["alice"])
            lifecycle.comment_add(task_id=t.pk, user=people["alice"], text="Asked for the receipt.")
            lifecycle.task_complete(
                task_id=t.pk, user=people["alice"], results={"approved": True, "nights": 1}
            )
    alice = open_session(people["alice"])
    for path, name in [
        ("/", "my-tasks"),
        ("/claimable/", "claimable"),
        ("/history/", "history"),
        (f"/tasks/{stage_task.pk}/", "task-detail"),
        ("/cases/", "cases"),
        (f"/cases/{case.pk}/", "case-detail"),
    ]:
        alice.go(path)
        expect(alice.page.locator("h1")).to_be_visible()
        alice.shot(name)
    alice.page.keyboard.press("?")
    alice.shot("help-overlay")

    admin = open_session(people["admin"])
    for path, name in [
        ("/console/tasks/", "admin-all-tasks"),
        ("/console/users/", "admin-users"),
        ("/console/task-types/", "admin-task-types"),
        ("/console/sources/", "admin-sources"),
        (f"/tasks/{stage_task.pk}/", "admin-task-detail"),
        (f"/cases/{case.pk}/", "admin-case-detail"),
    ]:
        admin.go(path)
        expect(admin.page.locator("h1")).to_be_visible()
        admin.shot(name)
    admin.go("/console/tasks/")
    admin.page.locator("input[name=task]").first.check()
    admin.page.click("summary:has-text('Assign…')")
    admin.shot("admin-bulk-assign")

    phone = open_session(people["alice"], viewport={"width": 390, "height": 844})
    for path, name in [
        ("/", "phone-my-tasks"),
        ("/claimable/", "phone-claimable"),
        (f"/tasks/{stage_task.pk}/", "phone-task-detail"),
    ]:
        phone.go(path)
        expect(phone.page.locator("h1")).to_be_visible()
        phone.shot(name)
    anon = open_session()
    for path, name in [
        ("/accounts/login/", "login"),
        ("/accounts/password/reset/", "password-reset"),
    ]:
        anon.go(path)
        expect(anon.page.locator("h1")).to_be_visible()
        anon.shot(name)


def test_without_javascript_claim_and_complete_still_work(open_session, people):
    TaskFactory(group=people["finance"], title="Plain HTML task", fields=FIELDS)
    bob = open_session(people["bob"], javascript=False)
    page = bob.go("/claimable/")
    row(page, "Plain HTML task").get_by_role("button", name="Claim").click()
    expect(page.locator(".toast")).to_contain_text("Claimed")
    page.click("nav >> text=My tasks")
    page.click("text=Plain HTML task")
    page.check("input[name=f_approved][value=true]")
    page.fill("#field-nights", "2.5")
    page.click("button[name=complete]")
    expect(page.locator("#field-nights-err")).to_be_visible()
    page.fill("#field-nights", "3")
    page.click("button[name=complete]")
    expect(page.locator(".task-head .status")).to_have_text("Done")


def test_admin_bulk_assigns_and_sees_a_report_per_task(open_session, people):
    done = TaskFactory(group=people["finance"], title="Already done", user=people["alice"])
    lifecycle.task_complete(task_id=done.pk, user=people["alice"], results={"approved": True})
    TaskFactory(group=people["finance"], title="Bulk one", fields=FIELDS)
    TaskFactory(group=people["finance"], title="Bulk two", fields=FIELDS)
    admin = open_session(people["admin"])
    page = admin.go("/console/tasks/")
    for title in ("Already done", "Bulk one", "Bulk two"):
        row(page, title).locator("input[name=task]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    page.click("summary:has-text('Assign…')")
    page.fill("#bulk-form input[name=user]", "alice")
    page.click("button[name=assign]")
    report = page.locator("#bulk-report")
    expect(report.locator("li.ok")).to_have_count(2)
    expect(report.locator("li.fail")).to_contain_text("Already done")
    expect(row(page, "Bulk two").locator("td[data-label=Assignee]")).to_have_text("alice")
