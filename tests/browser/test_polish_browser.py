"""A new user's walk without a stumble: Back keeps the filters, the help dialog keeps and
returns focus, a form error puts focus on the field to fix, the phone shows every admin link,
the dark theme follows the system and stays readable (axe-core)."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox import lifecycle
from tests.factories import GroupFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser

FIELDS = [
    {"name": "approved", "display_name": "Approve?", "type": "BOOLEAN", "required": True},
    {"name": "nights", "display_name": "Nights", "type": "INTEGER", "required": True},
    {"name": "amount", "display_name": "Amount (EUR)", "type": "DOUBLE", "required": False},
]


@pytest.fixture
def people(transactional_db):
    support, finance = GroupFactory(name="support"), GroupFactory(name="finance")
    admin = UserFactory(username="ada", first_name="Ada", last_name="Admin")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    return {
        "support": support,
        "finance": finance,
        "carol": UserFactory(username="carol", first_name="Carol", groups=[support, finance]),
        "admin": admin,
    }


def row(page, title):
    return page.locator("tr[data-task-row]", has_text=title)


def focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? (e.id || e.name || e.getAttribute('data-help-open') !== null"
        " && 'help-open' || e.tagName) : ''; }"
    )


def test_back_and_forward_show_the_filters_that_go_with_the_rows(open_session, people):
    TaskFactory(group=people["support"], title="Loan for Ann")
    TaskFactory(group=people["support"], title="Printer jam")
    TaskFactory(group=people["finance"], title="Loan audit")
    session = open_session(people["carol"])
    page = session.go("/claimable/")
    expect(row(page, "Loan audit")).to_be_visible()

    page.select_option("select[name=group]", "support")
    expect(page).to_have_url(re.compile(r"group=support"))
    expect(row(page, "Loan audit")).to_have_count(0)
    page.fill("#f-q", "loan")
    expect(page).to_have_url(re.compile(r"q=loan"))
    expect(row(page, "Printer jam")).to_have_count(0)

    page.go_back()  # group=support, no search
    expect(page).not_to_have_url(re.compile(r"q=loan"))
    expect(row(page, "Printer jam")).to_be_visible()
    expect(page.locator("#f-q")).to_have_value("")
    expect(page.locator("select[name=group]")).to_have_value("support")

    page.go_back()  # no filters at all
    expect(row(page, "Loan audit")).to_be_visible()
    expect(page.locator("select[name=group]")).to_have_value("")

    page.go_forward()
    page.go_forward()  # support + loan again
    expect(page).to_have_url(re.compile(r"q=loan"))
    expect(row(page, "Printer jam")).to_have_count(0)
    expect(page.locator("#f-q")).to_have_value("loan")
    expect(page.locator("select[name=group]")).to_have_value("support")

    # to a task and Back: the same rows and the same filters
    row(page, "Loan for Ann").locator("a.task-link").click()
    expect(page.locator("h1")).to_have_text("Loan for Ann")
    page.go_back()
    expect(row(page, "Loan for Ann")).to_be_visible()
    expect(row(page, "Printer jam")).to_have_count(0)
    expect(page.locator("#f-q")).to_have_value("loan")
    expect(page.locator("select[name=group]")).to_have_value("support")


def test_the_help_dialog_keeps_focus_inside_and_gives_it_back(open_session, people):
    session = open_session(people["carol"])
    page = session.go("/claimable/")
    opener = page.locator("[data-help-open]")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    for key in ("Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"):
        page.keyboard.press(key)
        assert page.evaluate(
            "() => document.getElementById('help').contains(document.activeElement)"
        ), key
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # opened with "?" from the page, closed with its button: focus goes to the ? button, not
    # into the hidden dialog (nor lost on <body>)
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_a_form_error_puts_focus_on_the_first_field_to_fix(open_session, people):
    task = TaskFactory(group=people["support"], title="Refund", fields=FIELDS, user=people["carol"])
    session = open_session(people["carol"])
    page = session.go(f"/tasks/{task.pk}/")
    page.fill("#field-nights", "1.5")
    page.click("button[name=complete]")
    expect(page.locator("#field-nights-err")).to_have_text("Must be a whole number.")
    # Approve? (required, left empty) comes first: its first choice has focus, not <body>
    expect(page.locator("input[name=f_approved][value=true]")).to_be_focused()

    page.check("input[name=f_approved][value=true]")
    page.click("button[name=complete]")
    expect(page.locator("#field-nights")).to_be_focused()
    page.fill("#field-nights", "2")
    page.click("button[name=complete]")
    expect(page.locator(".task-head .status")).to_have_text("Done")


@pytest.mark.parametrize("width", [390, 1280, 1366])
def test_on_a_phone_and_a_laptop_every_admin_link_is_on_screen(open_session, people, width):
    session = open_session(people["admin"], viewport={"width": width, "height": 844})
    page = session.go("/")
    expect(page.locator("h1")).to_have_text("All tasks")  # an admin in no group lands here
    nav = page.get_by_role("navigation", name="Main")
    for name in ("All tasks", "Users & groups", "Task types", "Sources", "Outbox", "Dashboard"):
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
        # not clipped by the nav's own box (a scroller with no visible scrollbar hides links)
        nav_box = nav.bounding_box()
        assert box["x"] + box["width"] <= nav_box["x"] + nav_box["width"] + 1, (name, box, nav_box)
    nav.get_by_role("link", name="Sources", exact=True).click()
    expect(page.locator("h1")).to_have_text("Sources")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Task types", exact=True).click()
    expect(page.locator("h1")).to_have_text("Task types")


def test_the_dark_theme_follows_the_system_and_stays_readable(open_session, people):
    task = TaskFactory(group=people["support"], title="Night shift", fields=FIELDS)
    gone = TaskFactory(group=people["support"], title="Not needed")
    lifecycle.task_admin_cancel(task_id=gone.pk, actor=people["admin"], message="duplicate")
    light = open_session(people["admin"])
    light.go("/console/tasks/")
    light_bg = light.page.evaluate("() => getComputedStyle(document.body).backgroundColor")

    dark = open_session(people["admin"])
    dark.page.emulate_media(color_scheme="dark")
    problems = []
    for path in ("/console/tasks/", f"/tasks/{task.pk}/", "/console/task-types/", "/cases/"):
        page = dark.go(path)
        expect(page.locator("h1")).to_be_visible()
        problems += dark.axe()
    channels = [
        int(c)
        for c in re.findall(
            r"\d+", dark.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        )[:3]
    ]
    assert max(channels) < 60, channels  # dark, not the light theme's #f6f7f9
    assert light_bg == "rgb(246, 247, 249)"
    text = [
        int(c)
        for c in re.findall(
            r"\d+", dark.page.evaluate("() => getComputedStyle(document.body).color")
        )[:3]
    ]
    assert min(text) > 180, text
    dark.shot("dark-task-types")
    assert not problems, "axe-core in the dark theme:\n" + "\n".join(problems)


def test_toasts_never_pile_up_and_a_bulk_report_is_not_hidden_by_its_popover(open_session, people):
    for n in range(5):
        TaskFactory(group=people["support"], title=f"Quick one {n}")
    session = open_session(people["carol"])
    page = session.go("/claimable/")
    for n in range(5):
        row(page, f"Quick one {n}").get_by_role("button", name="Claim").click()
        expect(row(page, f"Quick one {n}").get_by_role("button", name="Release")).to_be_visible()
    toasts = page.locator("#toasts .toast:not(.leaving)")
    expect(toasts.last).to_contain_text("Quick one 4")
    assert toasts.count() <= 3

    admin = open_session(people["admin"])
    page = admin.go("/console/tasks/")
    row(page, "Quick one 0").locator("input[name=task]").check()
    page.click("summary:has-text('Assign…')")
    page.fill("#bulk-form input[name=user]", "nobody-here")
    page.click("button[name=assign]")
    expect(page.locator("#bulk-report")).to_contain_text("Quick one 0")
    expect(page.locator("#bulk-form details[data-pop][open]")).to_have_count(0)
    expect(page.locator("#bulk-report")).to_be_in_viewport()
