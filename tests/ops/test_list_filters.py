"""The list filters the rollups cannot answer (assignee, search, context, dates, due presets,
...) narrow every figure of the dashboard, its CSVs and the stats API: each figure against
independently written SQL on the seeded inbox (frozen time)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ops.filters import StatsFilters
from ops.stats import dashboard_stats
from tests.ops.conftest import NOW, TODAY
from tests.ops.test_stats import (
    OPEN,
    expected_ages,
    expected_breaches,
    expected_daily,
    expected_durations,
    expected_open,
    got_open,
    sql,
    window_start,
)

ASSIGNEE = "t.assignee_id IN (SELECT id FROM accounts_user WHERE username = %s)"

# (query parameters, the same filter as SQL on the task table ``t``, its parameters)
LIST_FILTERS = [
    pytest.param({"user": "alice"}, ASSIGNEE, ("alice",), id="assignee"),
    pytest.param(
        {"ctx_key": "region", "ctx_value": "EU"}, "t.context->>'region' = %s", ("EU",), id="ctx"
    ),
    pytest.param({"q": "invoice"}, "t.title ILIKE %s", ("%invoice%",), id="search"),
    pytest.param(
        {"created_after": "2026-11-10", "context__tier": "1", "days": "90"},
        "t.created_at >= %s AND t.context->>'tier' = '1'",
        (datetime(2026, 11, 10, tzinfo=UTC),),
        id="created-after-and-context-number",
    ),
    pytest.param(
        {"user": "bob", "group": "finance", "type": "review"},
        f"{ASSIGNEE} AND g.name = 'finance' AND t.task_type = 'review'",
        ("bob",),
        id="assignee-group-type",
    ),
]


def stats_for(user, params):
    return dashboard_stats(user, StatsFilters.from_params(params))


def daily(stats):
    return [{k: r[k] for k in ("day", "created", "completed", "cancelled")} for r in stats["daily"]]


def late_per_day(days, where, params):
    rows = sql(
        f"""SELECT (t.completed_at AT TIME ZONE 'UTC')::date, COUNT(*)
            FROM inbox_usertask t LEFT JOIN auth_group g ON g.id = t.group_id
            WHERE t.status = 'DONE' AND t.completed_at > t.due_at
              AND (t.completed_at AT TIME ZONE 'UTC')::date BETWEEN %s AND %s AND {where}
            GROUP BY 1""",
        [window_start(days), TODAY, *params],
    )
    return dict(rows)


def assert_exact_durations(got, expected):
    for measure in ("claim", "complete"):
        assert got[measure]["count"] == expected[measure]["count"]
        for name in ("median_seconds", "p90_seconds"):
            exact = expected[measure][name]
            assert got[measure][name] == (None if exact is None else round(exact)), (measure, name)


@pytest.mark.parametrize("params, where, args", LIST_FILTERS)
def test_list_filters_narrow_every_figure(seeded, admin, params, where, args):
    stats = stats_for(admin, params)
    days = int(params.get("days", 30))
    assert stats["computed_from"] == "tasks"
    listed = {k: v for k, v in params.items() if k not in ("days", "group", "type")}
    assert stats["list_filters"] == [{"filter": k, "value": v} for k, v in listed.items()]
    for dimension in ("group", "type", "source"):
        assert got_open(stats, dimension) == expected_open(dimension, where, args), dimension
    ages_where = where.replace("g.name = 'finance'", "t.group_id = (SELECT id FROM auth_group WHERE name = 'finance')")  # fmt: skip
    assert [r["open"] for r in stats["age_buckets"]] == expected_ages(ages_where, args)
    assert daily(stats) == expected_daily(days, where, args)
    late = late_per_day(days, where, args)
    assert [r["breached"] for r in stats["daily"]] == [
        late.get(r["day"], 0) for r in stats["daily"]
    ]
    assert_exact_durations(stats["durations"], expected_durations(days, where, args))
    got_breaches = {r["group"]: (r["completed"], r["breached"]) for r in stats["breaches_by_group"]}
    assert got_breaches == expected_breaches(days, where, args)
    ((open_n, unclaimed, overdue, all_open),) = sql(  # fmt: skip
        f"""SELECT COUNT(*) FILTER (WHERE {where}),
                   COUNT(*) FILTER (WHERE {where} AND t.status = 'UNASSIGNED'),
                   COUNT(*) FILTER (WHERE {where} AND t.due_at < %s), COUNT(*)
            FROM inbox_usertask t LEFT JOIN auth_group g ON g.id = t.group_id WHERE {OPEN}""",
        [*args, *args, *args, NOW],
    )
    totals = stats["totals"]
    assert (totals["open"], totals["unclaimed"], totals["overdue"]) == (open_n, unclaimed, overdue)
    assert totals["completed"] == sum(r["completed"] for r in expected_daily(days, where, args))
    # The filter selects some of the work, not none and not all: the comparisons mean something.
    assert 0 < totals["open"] < all_open
    assert totals["completed"] > 0


def test_without_narrowing_the_tasks_agree_with_the_rollups(seeded, admin):
    """A list filter that keeps every task: the figures counted from the tasks are the
    rollups' figures (the durations exact where the sketches are within 1 %)."""
    from tests.ops.test_stats import assert_durations

    for days in (30, 90):
        rollups = stats_for(admin, {"days": str(days)})
        tasks = stats_for(admin, {"days": str(days), "created_after": "2000-01-01"})
        assert rollups["computed_from"] == "rollups" and tasks["computed_from"] == "tasks"
        for key in ("totals", "daily", "open_by_group", "open_by_type", "open_by_source"):
            assert tasks[key] == rollups[key], key
        assert tasks["age_buckets"] == rollups["age_buckets"]
        assert tasks["breaches_by_group"] == rollups["breaches_by_group"]
        assert_durations(rollups["durations"], tasks["durations"])


def test_status_and_due_presets_narrow_the_open_figures_only(seeded, admin):
    mine = stats_for(admin, {"user": "alice", "status": "ASSIGNED", "due": "overdue"})
    where, args = f"{ASSIGNEE} AND t.status = 'ASSIGNED' AND t.due_at < %s", ("alice", NOW)
    assert got_open(mine, "group") == expected_open("group", where, args)
    assert mine["totals"]["open"] == mine["totals"]["overdue"] > 0
    assert mine["daily"] == stats_for(admin, {"user": "alice"})["daily"]  # history: any status
    # due=today and due=week, the presets the snapshot cannot answer, from the tasks.
    for preset, span in (("today", 1), ("week", 7)):
        stats = stats_for(admin, {"due": preset})
        where, args = "t.due_at >= %s AND t.due_at < %s", (NOW, NOW + timedelta(days=span))
        assert stats["computed_from"] == "tasks"
        assert got_open(stats, "type") == expected_open("type", where, args)
        assert [r["open"] for r in stats["age_buckets"]] == expected_ages(where, args)
        assert daily(stats) == expected_daily(30)  # the history is not narrowed by due
    assert stats["totals"]["open"] > 0


def test_team_view_keeps_to_the_teams_groups(seeded, member, group):
    stats = stats_for(member, {"user": "alice"})
    where, args = f"{ASSIGNEE} AND g.name = %s", ("alice", group.name)
    assert stats["team_view"] is True
    assert got_open(stats, "group") == expected_open("group", where, args)
    assert daily(stats) == expected_daily(30, where, args)
    assert stats["sources"] == []
    # mallory works in legal only: nothing of hers is in bob's team view.
    nothing = stats_for(member, {"user": "mallory"})
    assert nothing["totals"] == dict.fromkeys(nothing["totals"], 0)
    assert stats_for(member, {"user": "mallory", "days": "90"})["breaches_by_group"] == []


def test_the_page_and_its_csv_follow_the_list_filters(seeded, client, admin):
    client.force_login(admin)
    response = client.get("/console/dashboard/?group=finance&q=invoice&ctx_key=region&ctx_value=EU")
    assert response.status_code == 200
    html = response.content.decode()
    where = "g.name = 'finance' AND t.title ILIKE %s AND t.context->>'region' = %s"
    args = ("%invoice%", "EU")
    ((n,),) = sql(  # fmt: skip
        f"""SELECT COUNT(*) FROM inbox_usertask t LEFT JOIN auth_group g ON g.id = t.group_id
            WHERE {OPEN} AND {where}""",
        args,
    )
    assert f'data-kpi="open">{n}<' in html and n > 0
    notice = html[
        html.index('id="list-filters"') : html.index("</ul>", html.index('id="list-filters"'))
    ]
    for shown in ("q=invoice", "ctx_key=region", "ctx_value=EU"):
        assert shown in notice
    assert "Not applied" not in html
    # The form keeps the filters; the CSV links and the task list link carry them.
    assert 'name="q" value="invoice"' in html
    assert "/console/dashboard/daily.csv?group=finance&amp;q=invoice&amp;ctx_key=region&amp;ctx_value=EU" in html  # fmt: skip
    assert "/console/tasks/?group=finance&amp;q=invoice&amp;ctx_key=region&amp;ctx_value=EU" in html  # fmt: skip
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/console/dashboard/daily.csv?days=90&group=finance&q=invoice"
                    "&ctx_key=region&ctx_value=EU"
                ).content.decode()
            )
        )
    )
    assert rows[1:] == [
        [str(r["day"]), str(r["created"]), str(r["completed"]), str(r["cancelled"])]
        for r in expected_daily(90, where, args)
    ]
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/console/dashboard/open-by-type.csv?user=alice").content.decode()
            )
        )  # fmt: skip
    )
    assert {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows[1:]} == expected_open(
        "type", ASSIGNEE, ("alice",)
    )
    # A list filter with no field on the form (a list's query string) is kept on Apply.
    html = client.get("/console/dashboard/?context__tier=1&due_before=2026-12-01").content.decode()
    assert '<input type="hidden" name="context__tier" value="1">' in html
    assert '<input type="hidden" name="due_before" value="2026-12-01">' in html


def test_filtered_pages_cost_a_constant_number_of_queries(seeded, client, admin):
    client.force_login(admin)
    client.get("/console/dashboard/?user=alice")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/console/dashboard/?user=alice&days=30").status_code == 200
    with CaptureQueriesContext(connection) as large:
        assert client.get("/console/dashboard/?user=alice&days=90").status_code == 200
    assert len(small) == len(large) <= 25
    # The unfiltered page still reads the rollups only.
    with CaptureQueriesContext(connection) as plain:
        client.get("/console/dashboard/?days=90&group=finance&status=ASSIGNED&due=overdue")
    assert not any("inbox_usertask" in q["sql"] for q in plain.captured_queries)


def test_stats_api_applies_the_list_filters(seeded, client, admin):
    client.force_login(admin)
    response = client.get("/api/v1/admin/stats/?user=alice&days=90&context__region=EU")
    assert response.status_code == 200
    body = response.json()
    where, args = f"{ASSIGNEE} AND t.context->>'region' = %s", ("alice", "EU")
    assert body["computed_from"] == "tasks"
    assert body["list_filters"] == [
        {"filter": "user", "value": "alice"},
        {"filter": "context__region", "value": "EU"},
    ]
    assert {
        r["type"]: (r["open"], r["unclaimed"], r["overdue"]) for r in body["open_by_type"]
    } == expected_open("type", where, args)
    assert [(r["day"], r["created"], r["completed"]) for r in body["daily"]] == [
        (str(r["day"]), r["created"], r["completed"]) for r in expected_daily(90, where, args)
    ]
    assert_exact_durations(body["durations"], expected_durations(90, where, args))
    assert client.get("/api/v1/admin/stats/").json()["computed_from"] == "rollups"


@pytest.mark.parametrize(
    "query, names",
    [
        ("created_after=yesterday", {"created_after"}),
        ("due_before=2026-02-30", {"due_before"}),
        ("case=abc", {"case"}),
        ("sla=late", {"sla"}),
        ("due=tomorrow", {"due"}),
        ("context__=x", {"context__"}),
        ("status=DONE,NOPE&created_before=soon&days=0", {"status", "created_before", "days"}),
    ],
)
def test_bad_list_filter_values_are_a_400_naming_them(seeded, client, admin, query, names):
    client.force_login(admin)
    response = client.get(f"/api/v1/admin/stats/?{query}")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == names
    page = client.get(f"/console/dashboard/?{query}")
    assert page.status_code == 400
    html = page.content.decode()
    assert all(f"{name}:" in html for name in names)
    csv_response = client.get(f"/console/dashboard/daily.csv?{query}")
    assert csv_response.status_code == 400
    assert all(name in csv_response.content.decode() for name in names)


def test_schema_documents_the_list_filters(client, admin):
    client.force_login(admin)
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/admin/stats/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"user", "q", "case", "created_after", "due_before", "sla"}
    assert "context__<name>" in names
    properties = schema["components"]["schemas"]["Stats"]["properties"]
    assert {"list_filters", "computed_from"} <= set(properties)
    assert "not_applied" not in properties
