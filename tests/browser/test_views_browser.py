"""Saved views in the browser: one colleague saves and shares a view, another applies it from
the navigation in a separate browser context; sorting by a column header; CSV export."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import GroupFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def team(transactional_db):
    finance = GroupFactory(name="finance")
    legal = GroupFactory(name="legal")
    bob = UserFactory(username="bob", groups=[finance, legal])
    alice = UserFactory(username="alice", groups=[finance])
    for i, (region, amount) in enumerate([("EU", 1200.5), ("EU", 80), ("US", 5), ("EU", 15000)]):
        TaskFactory(
            group=finance,
            title=f"Invoice {region}-{i}",
            priority=i,
            context={"region": region, "amount": amount, "received": f"2026-04-0{i + 1}"},
        )
    TaskFactory(group=legal, title="Invoice EU-legal", context={"region": "EU", "amount": 1})
    return {"bob": bob, "alice": alice}


def test_a_view_saved_by_one_colleague_is_applied_by_another(open_session, team):
    bob = open_session(team["bob"])
    page = bob.go("/claimable/?context__region=EU&columns=amount,received&sort=-priority")
    expect(page.locator("tr[data-task-row]")).to_have_count(4)  # bob sees legal's too
    page.locator("[data-save-view-open]").click()
    page.locator("[data-view-name]").fill("EU invoices")
    page.get_by_role("checkbox", name="finance").check()
    page.locator("[data-save-view]").click()
    expect(page).to_have_url(re.compile(r"/views/\d+/$"))
    expect(page.locator("h1")).to_have_text("EU invoices")
    view_url = page.url

    alice = open_session(team["alice"])
    page = alice.go("/")
    link = page.locator("nav a.nav-view", has_text="EU invoices")
    expect(link).to_contain_text("3")  # the open EU tasks she may see
    link.click()
    expect(page).to_have_url(view_url)
    # her own visibility: finance's EU tasks, never legal's; sorted by priority, high first
    expect(page.locator("tr[data-task-row] .task-link")).to_have_text(
        ["Invoice EU-3", "Invoice EU-1", "Invoice EU-0"]
    )
    expect(page.locator("[data-view-owner]")).to_have_text("View by bob")
    # typed columns: numbers right-aligned and grouped, dates formatted
    first = page.locator("tr[data-task-row]").first
    amount = first.locator("td.ctx").first
    expect(amount).to_have_text("15,000")
    assert amount.evaluate("e => getComputedStyle(e).textAlign") == "right"
    expect(first.locator("td.ctx.date")).to_have_text("Apr 4, 2026")
    expect(first.locator("td.source")).to_have_text("local")
    # sort by the Prio header, ascending then descending
    page.locator("th a[data-sort=priority]").click()
    expect(page.locator("th[aria-sort=ascending] a[data-sort=priority]")).to_be_visible()
    expect(page.locator("tr[data-task-row] .task-link")).to_have_text(
        ["Invoice EU-0", "Invoice EU-1", "Invoice EU-3"]
    )
    page.locator("th a[data-sort='context__amount']").click()
    expect(page.locator("th[aria-sort=ascending] a[data-sort='context__amount']")).to_be_visible()
    expect(page.locator("tr[data-task-row] .task-link")).to_have_text(
        ["Invoice EU-1", "Invoice EU-0", "Invoice EU-3"]
    )
    # alice may not change bob's view: no delete button; her Save makes a copy of her own
    expect(page.locator("[data-delete-view]")).to_have_count(0)
    with page.expect_download() as download:
        page.locator("[data-export]").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("id,title,type,status")
    assert [line.split(",")[1] for line in text.splitlines()[1:]] == [
        "Invoice EU-1",
        "Invoice EU-0",
        "Invoice EU-3",
    ]


def test_counts_appear_right_after_a_page_that_had_none_cached(open_session, team):
    """No count is cached: the page comes without numbers, then one request fills in the
    navigation, the group filter and the list's own count. Once cached, pages show them at once;
    after a claim, My tasks loads its new count."""
    from django.core.cache import cache

    cache.clear()
    finance = team["bob"].groups.get(name="finance")
    bob = open_session(team["bob"])
    asked = []
    bob.page.on("request", lambda r: asked.append(r.url) if "/nav/counts/" in r.url else None)
    page = bob.go("/claimable/")
    expect(page.locator("#nav-count-claimable")).to_have_text("5")  # finance 4 + legal 1
    expect(page.locator("#nav-count-mine")).to_have_text("0")
    expect(page.locator("#list-count")).to_have_text("5 open")
    expect(page.locator(f"#group-option-{finance.pk}")).to_have_text("finance (4)")
    assert len(asked) == 1
    assert page.locator("[data-nav-loader]").count() == 1

    page = bob.go("/history/")  # cached now: in the page itself, no second request
    expect(page.locator("#nav-count-claimable")).to_have_text("5")
    assert page.locator("[data-nav-loader]").count() == 0
    assert len(asked) == 1

    page = bob.go("/claimable/")
    page.locator("tr[data-task-row] [data-claim]").first.click()
    expect(page.locator("tr[data-task-row] [data-release]")).to_have_count(1)
    page = bob.go("/")
    expect(page.locator("#nav-count-mine")).to_have_text("1")
    expect(page.locator("#list-count")).to_have_text("1 open")
    expect(page.locator("#nav-count-claimable")).to_have_text("4")
    assert len(asked) == 2


def test_the_follow_up_column_sorts_from_its_header(open_session, team):
    from datetime import UTC, datetime

    from inbox.models import UserTask

    for title, day in (("Invoice EU-3", 6), ("Invoice EU-0", 2)):
        UserTask.objects.filter(title=title).update(follow_up_at=datetime(2026, 5, day, tzinfo=UTC))
    page = open_session(team["alice"]).go("/claimable/")
    head = page.locator("th[data-follow-up-head]")
    expect(head).to_have_attribute("aria-sort", "none")
    expect(page.locator("td[data-follow-up] time")).to_have_count(2)
    head.locator("a").click()
    expect(page).to_have_url(re.compile(r"sort=follow_up"))
    expect(page.locator("th[data-follow-up-head]")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("tr[data-task-row] .task-link").first).to_have_text("Invoice EU-0")
    page.locator("th[data-follow-up-head] a").click()
    expect(page.locator("th[data-follow-up-head]")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("tr[data-task-row] .task-link").nth(2)).to_have_text("Invoice EU-3")
