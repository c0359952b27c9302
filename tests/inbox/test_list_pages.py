"""List pages: saved views in the browser's forms, navigation counts and their cost, typed
columns, the source column, CSV export over the web."""

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from inbox import lifecycle
from inbox.models import ListView
from inbox.views.list_rows import typed_cell
from inbox.views.nav import nav_for
from tests.factories import GroupFactory, SourceFactory, TaskFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, user):
    client.force_login(user)
    return client


def test_saving_the_current_filters_as_a_shared_pinned_view(client, member, assignee, group):
    TaskFactory(group=group, title="EU one", context={"region": "EU"})
    TaskFactory(group=group, title="US one", context={"region": "US"})
    login(client, member)
    response = client.post(
        "/views/",
        {
            "name": "Europe",
            "query": "ctx_key=region&ctx_value=EU&sort=-due&columns=region",
            "groups": ["finance"],
            "pinned": "1",
            "scope": "claimable",
        },
    )
    view = ListView.objects.get(name="Europe")
    assert response.status_code == 302 and response["Location"] == f"/views/{view.pk}/"
    assert view.filters == {"ctx_key": "region", "ctx_value": "EU"}
    assert view.sort == "-due" and view.columns == ["region"] and view.pinned
    client.force_login(assignee)
    body = client.get(f"/views/{view.pk}/").content.decode()
    assert "EU one" in body and "US one" not in body
    assert 'data-label="region"' in body and "View by bob" in body
    assert "data-delete-view" not in body  # not alice's to delete


def test_sharing_with_a_group_you_are_not_in_is_refused_naming_groups(client, member, other_group):
    login(client, member)
    response = client.post(
        "/views/",
        {"name": "Sneaky", "query": "", "groups": ["legal"], "scope": "mine"},
        follow=True,
    )
    assert "groups: You are not in legal" in response.content.decode()
    assert not ListView.objects.filter(name="Sneaky").exists()


def test_a_colleague_saving_on_a_shared_view_makes_a_copy(client, member, assignee, group):
    original = ListView.objects.create(
        name="Team", owner=member, filters={"context__region": "EU"}, sort="due"
    )
    original.groups.set([group])
    login(client, assignee)
    client.post(
        "/views/",
        {"name": "Mine now", "query": "priority=&sort=-priority", "base_view": original.pk},
    )
    copy = ListView.objects.get(name="Mine now")
    assert copy.owner == assignee and copy.filters == {"context__region": "EU"}
    assert copy.sort == "-priority"
    original.refresh_from_db()
    assert original.name == "Team" and original.sort == "due"


def test_a_view_not_shared_with_you_is_a_404(client, member, outsider):
    view = ListView.objects.create(name="Private", owner=member)
    login(client, outsider)
    assert client.get(f"/views/{view.pk}/").status_code == 404
    assert client.post(f"/views/{view.pk}/delete/").status_code == 404


def _counting(captured) -> list[str]:
    """The navigation count statements among ``captured`` queries."""
    return [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]


def _loader_url(body: str) -> str:
    found = re.search(r'data-nav-loader hx-get="([^"]+)"', body)
    assert found, "no counts loader on the page"
    return html.unescape(found.group(1))


def _swaps(body: str) -> dict[str, str]:
    return dict(re.findall(r'<span hx-swap-oob="innerHTML:#([\w-]+)">([^<]*)</span>', body))


def test_a_cold_page_counts_nothing_and_loads_the_counts_after_it(
    client, member, group, other_group, settings
):
    settings.INBOX_NAV_COUNT_SECONDS = 15
    member.groups.add(other_group)
    for _ in range(3):
        TaskFactory(group=group, context={"region": "EU"})
    TaskFactory(group=other_group, context={"region": "US"})
    view = ListView.objects.create(
        name="EU", owner=member, filters={"context__region": "EU"}, pinned=True
    )
    login(client, member).get("/history/")  # the pinned views cached until a view changes
    with CaptureQueriesContext(connection) as cold:
        body = client.get("/claimable/").content.decode()
    assert _counting(cold) == []
    assert 'id="nav-count-claimable" data-nav-count="claimable"></span>' in body
    assert f'id="nav-count-view-{view.pk}"></span>' in body
    assert '<span class="count" id="list-count" data-list-count></span>' in body
    assert f'<option id="group-option-{group.pk}" value="finance" >finance</option>' in body
    url = _loader_url(body)
    assert url == (
        f"/nav/counts/?views={view.pk}&groups={group.pk}%2C{other_group.pk}&list=claimable"
    ) or url == (
        f"/nav/counts/?views={view.pk}&groups={other_group.pk}%2C{group.pk}&list=claimable"
    )

    with CaptureQueriesContext(connection) as fragment:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert len(_counting(fragment)) == 1  # every count in one statement
    assert _swaps(response.content.decode()) == {
        "nav-count-mine": "0",
        "nav-count-claimable": "4",
        f"nav-count-view-{view.pk}": "3",
        f"group-option-{group.pk}": "finance (3)",
        f"group-option-{other_group.pk}": f"{other_group.name} (1)",
        "list-count": "4 open",
    }

    with CaptureQueriesContext(connection) as warm:
        body = client.get("/claimable/").content.decode()
    assert _counting(warm) == [] and len(warm) == len(cold)
    assert "data-nav-loader" not in body
    assert 'data-nav-count="claimable">4<' in body and "4 open" in body
    assert f'id="nav-count-view-{view.pk}">3<' in body and "finance (3)</option>" in body


def test_every_page_with_the_navigation_loads_its_counts(client, member, group, task):
    login(client, member)
    for path in ("/history/", f"/tasks/{task.pk}/", "/cases/", "/console/dashboard/"):
        body = client.get(path).content.decode()
        assert 'data-nav-count="mine"></span>' in body, path
        assert _loader_url(body) == "/nav/counts/", path
    swaps = _swaps(client.get("/nav/counts/").content.decode())
    assert swaps == {"nav-count-mine": "0", "nav-count-claimable": "1"}


def test_the_counts_fragment_shows_nobody_counts_they_may_not_see(
    client, member, outsider, group, other_group
):
    for _ in range(2):
        TaskFactory(group=group, context={"region": "EU"})
    TaskFactory(group=other_group)
    theirs = ListView.objects.create(
        name="EU", owner=member, filters={"context__region": "EU"}, pinned=True
    )
    mine = ListView.objects.create(name="All", owner=outsider, filters={}, pinned=True)
    login(client, outsider)
    body = client.get(
        f"/nav/counts/?views={theirs.pk},{mine.pk}&groups={group.pk},{other_group.pk}"
        f"&list={theirs.pk}"
    ).content.decode()
    assert _swaps(body) == {
        "nav-count-mine": "0",
        "nav-count-claimable": "1",  # their own group's task, not finance's two
        f"nav-count-view-{mine.pk}": "1",
        f"group-option-{other_group.pk}": f"{other_group.name} (1)",
    }
    assert "finance" not in body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("views=abc", "views"),
        ("groups=1,x", "groups"),
        ("list=history", "list"),
        ("views=-1", "views"),
        ("groups=99999999999999999999", "groups"),
        ("list=1e9", "list"),
    ],
)
def test_a_bad_counts_request_is_a_400_naming_the_parameter(client, member, query, field):
    response = login(client, member).get(f"/nav/counts/?{query}")
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()


def test_ids_nobody_has_get_no_count(client, member, group):
    TaskFactory(group=group)
    body = login(client, member).get(
        f"/nav/counts/?views=2147483648&groups={group.pk},99999999999&list=9223372036854775807"
    )
    assert body.status_code == 200
    assert _swaps(body.content.decode()) == {
        "nav-count-mine": "0",
        "nav-count-claimable": "1",
        f"group-option-{group.pk}": "finance (1)",
    }


def test_the_counts_fragment_needs_a_signed_in_user(client):
    response = client.get("/nav/counts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_counts_do_not_disturb_the_lists_polling(client, member, group, settings):
    """A poll that finds nothing new stays a 204 whether or not the counts were loaded."""
    settings.INBOX_NAV_COUNT_SECONDS = 15
    TaskFactory(group=group)
    login(client, member)
    body = client.get("/claimable/").content.decode()
    stamp = re.search(r'data-stamp="(\w+)"', body).group(1)
    poll = f"/claimable/?stamp={stamp}"
    with CaptureQueriesContext(connection) as before:
        assert client.get(poll, HTTP_HX_REQUEST="true").status_code == 204
    client.get(_loader_url(body), HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as after:
        assert client.get(poll, HTTP_HX_REQUEST="true").status_code == 204
    assert _counting(before) == _counting(after) == [] and len(before) == len(after)


def test_a_view_page_looks_its_view_up_once(client, member, group):
    TaskFactory(group=group, title="EU one", context={"region": "EU"})
    TaskFactory(group=group, title="US one", context={"region": "US"})
    view = ListView.objects.create(
        name="Europe", owner=member, filters={"context__region": "EU"}, pinned=True
    )
    login(client, member).get(f"/views/{view.pk}/")  # the navigation's pinned views cached
    with CaptureQueriesContext(connection) as page:
        body = client.get(f"/views/{view.pk}/").content.decode()
    assert "EU one" in body and "US one" not in body and "Europe" in body
    lookups = [q["sql"] for q in page.captured_queries if 'FROM "inbox_listview"' in q["sql"]]
    assert len(lookups) == 1, lookups


def test_nav_counts_equal_the_lists_they_stand_for_up_to_the_cap(
    member, assignee, group, other_group, outsider, settings
):
    """Each count in the navigation is the length of the list it links to (the user's own
    tasks, claimable, each group, each pinned view), shown as "N+" past the cap."""
    from inbox.queries import TaskFilters, task_page
    from inbox.queries.views import merged_params

    settings.INBOX_NAV_COUNT_CAP = 4
    member.groups.add(other_group)
    third = GroupFactory(name="hr")
    eu, us = {"region": "EU"}, {"region": "US"}
    for context, kwargs, n, finish in (
        (eu, {"group": group}, 2, None),
        (us, {"group": group}, 1, None),
        (eu, {"group": other_group}, 6, None),
        (eu, {"group": third}, 3, None),  # not member's group
        (eu, {"group": group, "user": member}, 2, None),
        (us, {"group": third, "user": member}, 1, None),
        (us, {"group": group, "user": member}, 1, None),  # in the view once, not twice
        (eu, {"group": group, "user": assignee}, 2, None),
        (eu, {"group": group, "user": member}, 2, "complete"),
        (eu, {"group": other_group, "user": assignee}, 1, "cancel"),
    ):
        for _ in range(n):
            task = TaskFactory(context=context, **kwargs)
            if finish == "complete":
                lifecycle.task_complete(task_id=task.pk, user=member, results={"approved": True})
            elif finish == "cancel":
                lifecycle.task_cancel(task_id=task.pk, user=assignee)
    views = [
        ListView.objects.create(name=name, owner=member, filters=filters, pinned=True)
        for name, filters in (
            ("EU", {"context__region": "EU"}),
            ("finance EU", {"context__region": "EU", "group": "finance"}),
            ("US", {"context__region": "US"}),
            ("done", {"status": "DONE"}),
        )
    ]
    user = User.objects.get(pk=member.pk)
    nav = nav_for(user, compute=True)

    def listed(scope, params=None):
        filters = TaskFilters.from_params(params or {})
        n = len(task_page(user, scope=scope, filters=filters, limit=1000).tasks)
        return f"{n}" if n <= 4 else "4+"

    assert nav.mine == listed("mine") == "4"
    assert nav.claimable == listed("claimable") == "4+"
    assert nav.group(group.pk) == listed("claimable", {"group": "finance"}) == "3"
    assert nav.group(other_group.pk) == "4+"
    open_eu = listed("visible", {"context__region": "EU", "status": "UNASSIGNED,ASSIGNED"})
    assert nav.view(views[0].pk) == open_eu == "4+"
    open_finance_eu = listed("visible", merged_params(views[1], {"status": "UNASSIGNED,ASSIGNED"}))
    assert nav.view(views[1].pk) == open_finance_eu == "4+"
    assert nav.view(views[2].pk) == listed("visible", {"context__region": "US"}) == "3"
    assert nav.view(views[3].pk) is None  # no open task can match: not counted


@pytest.mark.parametrize(
    ("value", "text", "kind"),
    [
        (1234567.5, "1,234,567.5", "num"),
        (42, "42", "num"),
        (True, "yes", "bool"),
        ("2026-04-05", "Apr 5, 2026", "date"),
        ("2026-04-05T13:30:00Z", "Apr 5, 2026 13:30", "date"),
        ("Globex", "Globex", "text"),
        ({"a": [1, 2]}, '{"a":[1,2]}', "text"),
        (None, "—", "none"),
    ],
)
def test_context_columns_are_typed(value, text, kind, settings):
    settings.TIME_ZONE = "UTC"
    cell = typed_cell(value)
    assert (cell.text, cell.kind) == (text, kind)


def test_two_tasks_with_the_same_title_are_told_apart_by_their_source(client, member, group):
    TaskFactory(group=group, title="Approve invoice")
    TaskFactory(group=group, title="Approve invoice", source=SourceFactory(name="uipath-eu"))
    body = login(client, member).get("/claimable/").content.decode()
    assert "data-source>local<" in body and "data-source>uipath-eu<" in body


def test_web_csv_export_follows_the_list(client, member, group):
    TaskFactory(group=group, title="Late", due_at=datetime(2026, 1, 2, tzinfo=UTC))
    TaskFactory(group=group, title="Early", due_at=datetime(2026, 1, 1, tzinfo=UTC))
    TaskFactory(group=group, title="Undated")
    response = login(client, member).get("/export/claimable.csv", {"sort": "due"})
    assert response["Content-Disposition"] == 'attachment; filename="claimable.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["title"] for r in rows] == ["Early", "Late", "Undated"]
    bad = client.get("/export/claimable.csv", {"sort": "colour"})
    assert bad.status_code == 400 and "sort" in bad.content.decode()
    assert client.get("/export/all.csv").status_code == 404  # admins only


def test_an_unknown_sort_on_a_page_is_explained_on_the_list(client, member):
    body = login(client, member).get("/claimable/", {"sort": "colour"}).content.decode()
    assert "sort: Unknown sort key" in body


def test_list_rows_show_each_fact_escaped(client, member, assignee, group):
    """Rows are built in Python (``inbox.views.row_html``): the same cells the template made,
    every value escaped."""
    from datetime import timedelta

    from django.utils import timezone

    mine = TaskFactory(
        group=group,
        user=member,
        title="<b>Mine</b> & yours",
        priority=2,
        due_at=timezone.now() - timedelta(hours=1),
        context={"amount": 1234.5},
    )
    theirs = TaskFactory(group=group, user=assignee, title="Theirs", context={"amount": "x"})
    open_one = TaskFactory(
        group=group, title="Open one", due_at=timezone.now() + timedelta(hours=2)
    )
    login(client, member)
    body = client.get("/", {"columns": "amount"}).content.decode()
    row = body[body.index(f'<tr id="row-{mine.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="overdue"' in row and '<span class="badge overdue">overdue</span>' in row
    assert "&lt;b&gt;Mine&lt;/b&gt; &amp; yours" in row and "<b>Mine" not in row
    assert "<strong>you</strong>" in row and '<span class="prio p2">2</span>' in row
    assert 'class="ctx num" data-column>1,234.5</td>' in row
    assert "data-release>Release</button>" in row and 'name="csrfmiddlewaretoken"' in row
    assert '<input type="hidden" name="next" value="/?columns=amount">' in row
    body = client.get("/claimable/").content.decode()
    assert f'<tr id="row-{open_one.pk}"' in body and 'class="soon"' in body
    assert "data-claim>Claim</button>" in body
    views = ListView.objects.create(name="All", owner=member, filters={})
    body = client.get(f"/views/{views.pk}/").content.decode()
    row = body[body.index(f'<tr id="row-{theirs.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td data-label="Assignee">alice</td>' in row and "data-claim" not in row
    assert "data-release" not in row and '<td data-label="Group">finance</td>' in row
    lifecycle.task_complete(task_id=mine.pk, user=member, results={"approved": True})
    body = client.get("/history/").content.decode()
    row = body[body.index(f'<tr id="row-{mine.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="status s-done">Done</span>' in row
    assert 'data-label="Completed" class="completed"><time datetime=' in row
    assert 'class="overdue"' not in row  # a finished task is never overdue


def test_people_in_different_groups_page_through_only_their_own_tasks(
    client, settings, member, outsider, group, other_group
):
    """The same list asked by two people (its SQL is compiled once for both): each sees their
    own groups' tasks, in order, each page after the last, and what they hold."""
    settings.INBOX_PAGE_SIZE = 2
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for i in range(3):
        TaskFactory(group=group, title=f"Finance {i}", created_at=start.replace(hour=9 + i))
        TaskFactory(group=other_group, title=f"Legal {i}", created_at=start.replace(hour=9 + i))
    held = TaskFactory(group=group, title="Finance held", created_at=start.replace(hour=8))
    lifecycle.task_claim(task_id=held.pk, user=member)

    def walk(user, url):
        login(client, user)
        titles, bookmark = [], None
        for _ in range(5):
            page = client.get(url, {"limit": 2, **({"bookmark": bookmark} if bookmark else {})})
            assert page.status_code == 200, page.content[:300]
            titles.append([row["title"] for row in page.json()["results"]])
            bookmark = page.json()["bookmark"]
            if not bookmark:
                return titles
        raise AssertionError("the walk did not end")

    for _ in range(2):  # the second walk reads the SQL compiled by the first
        assert walk(member, "/api/v1/tasks/claimable/") == [
            ["Finance 0", "Finance 1"],
            ["Finance 2"],
        ]
        assert walk(outsider, "/api/v1/tasks/claimable/") == [["Legal 0", "Legal 1"], ["Legal 2"]]
        assert walk(member, "/api/v1/tasks/") == [
            ["Finance held", "Finance 0"],
            ["Finance 1", "Finance 2"],
        ]
        assert walk(outsider, "/api/v1/tasks/") == [["Legal 0", "Legal 1"], ["Legal 2"]]
    login(client, outsider)
    body = client.get("/claimable/").content.decode()
    assert "Legal 0" in body and "Legal 1" in body and "Finance" not in body
    assert "Load more" in body
    login(client, member)
    body = client.get("/").content.decode()
    assert "Finance held" in body and "Finance 0" not in body and "Legal" not in body


FOLLOW_UP_HEAD = re.compile(r'<th aria-sort="(\w+)" data-follow-up-head><a href="([^"]+)"')


def _follow_up_cells(body: str) -> list[str]:
    return re.findall(
        r'<td data-label="Follow-up" class="follow-up" data-follow-up>(.*?)</td>', body
    )


def _titles(body: str) -> list[str]:
    return re.findall(r'class="task-link">([^<]+)</a>', body)


def test_a_list_without_follow_up_dates_has_no_follow_up_column(client, member, group):
    TaskFactory(group=group, title="No SLA here")
    body = login(client, member).get("/claimable/").content.decode()
    assert "No SLA here" in body
    assert "data-follow-up-head" not in body and _follow_up_cells(body) == []


def test_the_follow_up_column_shows_the_date_and_its_header_sorts(client, member, group, settings):
    settings.TIME_ZONE = "UTC"
    late = TaskFactory(group=group, title="Call back later")
    soon = TaskFactory(group=group, title="Call back soon")
    TaskFactory(group=group, title="No follow-up")
    for task, when in (
        (late, datetime(2026, 5, 4, 9, 30, tzinfo=UTC)),
        (soon, datetime(2026, 5, 2, 8, 0, tzinfo=UTC)),
    ):
        type(task).objects.filter(pk=task.pk).update(follow_up_at=when)
    body = login(client, member).get("/claimable/").content.decode()
    state, url = FOLLOW_UP_HEAD.search(body).groups()
    assert state == "none" and html.unescape(url) == "/claimable/?sort=follow_up"
    cells = dict(zip(_titles(body), _follow_up_cells(body), strict=True))
    assert cells["Call back later"] == (
        '<time datetime="2026-05-04T09:30:00+00:00" title="May 4, 2026 09:30 UTC">May 4, 09:30</time>'
    )
    assert cells["No follow-up"] == '<span class="muted">—</span>'

    body = client.get(html.unescape(url)).content.decode()
    state, url = FOLLOW_UP_HEAD.search(body).groups()
    assert state == "ascending" and html.unescape(url) == "/claimable/?sort=-follow_up"
    assert _titles(body) == ["Call back soon", "Call back later", "No follow-up"]
    body = client.get(html.unescape(url)).content.decode()
    assert FOLLOW_UP_HEAD.search(body).group(1) == "descending"
    # undated last going up, so first going down (as the due date)
    assert _titles(body) == ["No follow-up", "Call back later", "Call back soon"]


def test_sorting_by_follow_up_shows_the_column_even_without_dates(client, member, group):
    TaskFactory(group=group, title="Undated")
    body = login(client, member).get("/claimable/?sort=-follow_up").content.decode()
    assert FOLLOW_UP_HEAD.search(body).group(1) == "descending"
    assert _follow_up_cells(body) == ['<span class="muted">—</span>']


def test_load_more_and_a_claimed_row_keep_the_pages_follow_up_column(
    client, member, group, settings
):
    settings.INBOX_PAGE_SIZE = 2
    first = TaskFactory(group=group, title="Dated")
    type(first).objects.filter(pk=first.pk).update(follow_up_at=datetime(2026, 5, 4, tzinfo=UTC))
    TaskFactory(group=group, title="Second")
    third = TaskFactory(group=group, title="Third, undated")
    body = login(client, member).get("/claimable/").content.decode()
    more = re.search(r'<a class="btn" href="([^"]+)"', body).group(1)
    assert "follow_up_column=1" in more
    rows = client.get(html.unescape(more), HTTP_HX_REQUEST="true").content.decode()
    assert "Third, undated" in rows and _follow_up_cells(rows) == ['<span class="muted">—</span>']
    assert 'name="follow_up_column" value="1"' in rows  # so its Claim answer keeps the cell
    row = client.post(
        f"/tasks/{third.pk}/row/",
        {"claim": "1", "scope": "claimable", "follow_up_column": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "data-release" in row and _follow_up_cells(row) == ['<span class="muted">—</span>']


def test_a_page_reads_other_statements_with_its_ids(member, group, other_group):
    """``task_page(along=...)``: a whole list page's groups come with its ids (one round trip
    on PostgreSQL), the same rows ``group_choices`` reads, on a page with tasks and on one
    without (and for a user in no group, whose claimable list has no ids query at all)."""
    from inbox.queries import task_page

    TaskFactory(group=group)
    member.groups.add(other_group)
    for scope in ("claimable", "mine"):
        page = task_page(member, scope=scope, along=[member.group_choices_query()])
        assert [tuple(row) for row in page.along[0]] == member.group_choices()
        assert [tuple(row) for row in page.along[0]] == [
            (group.pk, "finance"),
            (other_group.pk, "legal"),
        ]
    loner = User.objects.create(username="loner")
    page = task_page(loner, scope="claimable", along=[loner.group_choices_query()])
    assert page.tasks == [] and page.along == [[]]
    assert task_page(member, scope="claimable").along == []
