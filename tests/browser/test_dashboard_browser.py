"""The operations dashboard in chromium: charts render, each has its table and CSV link, filters
apply, members get their team's view."""

from inbox import lifecycle
from ops.rollup import refresh_open_snapshot, rollup_day, today
from tests.factories import TaskFactory


def seed(group, other_group, member, outsider):
    for i in range(6):
        task = TaskFactory(
            group=group if i % 2 else other_group,
            task_type=f"type-{i % 3}",
            title=f"{'Invoice' if i % 3 == 0 else 'Contract'} {i}",
            context={"region": "EU" if i in (2, 4, 5) else "US"},
        )
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


def test_list_filters_narrow_the_charts(open_session, admin, group, other_group, member, outsider):
    """The lists' filters the rollups cannot answer (search, assignee, context) narrow every
    chart: the figures are counted from the matching tasks."""
    seed(group, other_group, member, outsider)
    session = open_session(admin)
    page = session.go("/console/dashboard/?group=finance&q=invoice")
    notice = page.get_by_role("status").filter(has_text="Counted from the matching tasks")
    assert "q=invoice" in notice.inner_text()
    assert page.locator("[data-kpi=open]").inner_text() == "1"  # Invoice 3, open in finance
    link = notice.get_by_role("link", name="Open the task list with these filters")
    assert link.get_attribute("href") == "/console/tasks/?group=finance&q=invoice"
    page = session.go("/console/dashboard/")
    page.get_by_label("Context variable").fill("region")
    page.get_by_label("equals").fill("EU")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console/dashboard/?*ctx_key=region*")
    assert page.locator("[data-kpi=open]").inner_text() == "3"
    assert page.locator("[data-kpi=unclaimed]").inner_text() == "2"
    section = page.locator("#chart-open-by-group")
    section.get_by_text("Show the numbers").click()
    rows = {
        r.locator("th").inner_text(): r.locator("td").all_inner_texts()
        for r in section.locator("tbody tr").all()
    }
    assert rows == {"legal": ["2", "1", "0"], "finance": ["1", "1", "0"]}
    assert "ctx_key=region&ctx_value=EU" in section.get_by_role("link", name="CSV").get_attribute(
        "href"
    )
    assert page.locator("svg.chart").count() == 8
    session.shot("dashboard-filtered")
    page.get_by_label("Context variable").fill("")
    page.get_by_label("equals").fill("")
    page.get_by_label("Assignee").fill(member.username)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**/console/dashboard/?*user={member.username}*")
    assert page.locator("[data-kpi=open]").inner_text() == "1"
    assert page.locator("[data-kpi=completed]").inner_text() == "1"
    # Status still narrows the open figures, and the history charts say they do not follow it.
    page.locator("select[name=status]").select_option("UNASSIGNED")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console/dashboard/?*status=UNASSIGNED*")
    assert page.locator("[data-kpi=open]").inner_text() == "0"
    assert page.locator("[data-kpi=completed]").inner_text() == "1"
    note = page.locator("#chart-daily .ops-note")
    assert "Not narrowed by status" in note.inner_text()
    assert page.locator("table[data-chart]").count() == 8
