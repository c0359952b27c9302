"""The operations dashboard in chromium: charts render, each has its table and CSV link, filters
apply, members get their team's view."""

from inbox import lifecycle
from ops.rollup import refresh_open_snapshot, rollup_day, today
from tests.factories import TaskFactory


def seed(group, other_group, member, outsider):
    for i in range(6):
        task = TaskFactory(group=group if i % 2 else other_group, task_type=f"type-{i % 3}")
        if i < 4:
            person = member if i % 2 else outsider
            lifecycle.task_claim(task_id=task.pk, user=person)
            if i < 2:
                lifecycle.task_complete(task_id=task.pk, user=person, results={"approved": True})
    rollup_day(today())
    refresh_open_snapshot()


def test_admin_reads_the_charts_and_their_tables(
    open_session, admin, group, other_group, member, outsider
):
    seed(group, other_group, member, outsider)
    session = open_session(admin)
    page = session.go("/")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/console/dashboard/")
    assert page.get_by_role("heading", name="Operations dashboard").is_visible()
    assert page.locator("[data-kpi=open]").inner_text() == "4"
    assert page.locator("[data-kpi=completed]").inner_text() == "2"
    assert page.locator("svg.chart").count() == 8
    assert page.get_by_role("img", name="Open tasks by group").is_visible()
    section = page.locator("#chart-open-by-group")
    section.get_by_text("Show the numbers").click()
    table = section.get_by_role("table", name="Open tasks by group")
    assert table.is_visible()
    rows = {
        r.locator("th").inner_text(): r.locator("td").all_inner_texts()
        for r in table.locator("tbody tr").all()
    }
    assert rows == {"finance": ["2", "1", "0"], "legal": ["2", "1", "0"]}
    assert section.get_by_role("link", name="CSV").get_attribute("href") == (
        "/console/dashboard/open-by-group.csv"
    )
    page.locator("select[name=group]").select_option("finance")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console/dashboard/?group=finance*")
    assert page.locator("[data-kpi=open]").inner_text() == "2"
    assert (
        page.locator("#chart-daily")
        .get_by_role("link", name="CSV")
        .get_attribute("href")
        .endswith("daily.csv?group=finance")
    )
    session.shot("dashboard")


def test_a_member_sees_the_team_view(open_session, group, other_group, member, outsider):
    seed(group, other_group, member, outsider)
    session = open_session(member)
    page = session.go("/")
    page.get_by_role("link", name="Team").click()
    page.wait_for_url("**/console/dashboard/")
    assert page.get_by_role("heading", name="Team dashboard").is_visible()
    assert page.locator("[data-kpi=open]").inner_text() == "2"
    assert page.locator("#chart-sources").count() == 0
    assert page.locator("table[data-chart]").count() == 7


def test_list_filters_apply_or_are_named(open_session, admin, group, other_group, member, outsider):
    seed(group, other_group, member, outsider)
    session = open_session(admin)
    page = session.go("/console/dashboard/?group=finance&q=invoice")
    notice = page.get_by_role("status").filter(has_text="Not applied")
    assert "q=invoice" in notice.inner_text()
    assert page.locator("[data-kpi=open]").inner_text() == "2"  # the group still applies
    link = notice.get_by_role("link", name="Open the task list with every filter")
    assert link.get_attribute("href") == "/console/tasks/?group=finance&q=invoice"
    page = session.go("/console/dashboard/")
    page.locator("select[name=status]").select_option("UNASSIGNED")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console/dashboard/?*status=UNASSIGNED*")
    assert page.locator("[data-kpi=open]").inner_text() == "2"
    assert page.locator("[data-kpi=unclaimed]").inner_text() == "2"
    note = page.locator("#chart-daily .ops-note")
    assert "Not narrowed by status" in note.inner_text()
    assert page.locator("table[data-chart]").count() == 8
