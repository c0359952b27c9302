"""Saved views over the API, sorting and columns on lists, search, CSV export equal to the list,
and the visibility rule: a shared view never shows a colleague tasks they may not see."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from inbox import lifecycle
from tests.api.conftest import client_for
from tests.factories import TaskFactory, UserFactory

BASE = datetime(2026, 5, 1, tzinfo=UTC)


def ids(response):
    assert response.status_code == 200, response.content[:400]
    return [row["id"] for row in response.json()["results"]]


def walk(client, url, params, limit=3):
    seen, bookmark = [], None
    while True:
        query = {**params, "limit": limit, **({"bookmark": bookmark} if bookmark else {})}
        body = client.get(url, query).json()
        seen += [row["id"] for row in body["results"]]
        bookmark = body["bookmark"]
        if not bookmark:
            return seen


@pytest.fixture
def finance_tasks(group):
    return [
        TaskFactory(
            group=group,
            title=f"Invoice {i}",
            priority=i % 3,
            due_at=BASE + timedelta(days=(7 - i) % 5) if i % 4 else None,
            context={"region": "EU" if i % 2 else "US", "amount": i * 10},
        )
        for i in range(8)
    ]


def test_a_view_is_saved_shared_with_a_group_and_applied_by_a_colleague(
    member, assignee, group, finance_tasks
):
    bob, alice = client_for(member), client_for(assignee)
    response = bob.post(
        "/api/v1/views/",
        {
            "name": "EU by due",
            "filters": {"context__region": "EU"},
            "sort": "due",
            "columns": ["amount"],
            "groups": ["finance"],
            "pinned": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    view = response.json()
    assert view["owner"] == "bob" and view["groups"] == ["finance"]
    assert view["url"] == f"/views/{view['id']}/"
    assert view["id"] in [v["id"] for v in alice.get("/api/v1/views/").json()["results"]]

    listed = alice.get("/api/v1/tasks/", {"view": view["id"]}).json()["results"]
    eu = [t for t in finance_tasks if t.context["region"] == "EU"]
    expected = sorted(eu, key=lambda t: (t.due_at is None, t.due_at or BASE, t.id))
    assert [r["id"] for r in listed] == [str(t.id) for t in expected]
    assert listed[0]["columns"] == {"amount": expected[0].context["amount"]}
    # parameters given with the view narrow it further and can re-sort it
    narrowed = alice.get("/api/v1/tasks/", {"view": view["id"], "sort": "-priority"})
    assert sorted(ids(narrowed)) == sorted(str(t.id) for t in eu)


def test_only_the_owner_or_an_admin_changes_a_shared_view(member, assignee, admin, group):
    bob = client_for(member)
    view = bob.post("/api/v1/views/", {"name": "Mine", "groups": ["finance"]}, format="json").json()
    alice = client_for(assignee)
    refused = alice.patch(f"/api/v1/views/{view['id']}/", {"name": "Hijacked"}, format="json")
    assert refused.status_code == 403
    assert alice.delete(f"/api/v1/views/{view['id']}/").status_code == 403
    renamed = client_for(admin).patch(
        f"/api/v1/views/{view['id']}/", {"name": "Renamed by admin"}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed by admin"
    assert bob.delete(f"/api/v1/views/{view['id']}/").status_code == 204
    assert bob.get(f"/api/v1/views/{view['id']}/").status_code == 404


def test_an_unshared_view_is_invisible_to_others(member, outsider):
    view = client_for(member).post("/api/v1/views/", {"name": "Private"}, format="json").json()
    mallory = client_for(outsider)
    assert mallory.get(f"/api/v1/views/{view['id']}/").status_code == 404
    response = mallory.get("/api/v1/tasks/", {"view": view["id"]})
    assert response.status_code == 400 and "view" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "groups": ["legal"]}, "groups"),  # bob is not in legal
        ({"name": "x", "everyone": True}, "everyone"),  # admins only
        ({"name": "x", "sort": "colour"}, "sort"),
        ({"name": "x", "columns": ["amount", "not a name"]}, "columns"),
        ({"name": "x", "filters": {"status": "SLEEPING"}}, "filters.status"),
        ({"name": "x", "groups": ["no-such-group"]}, "groups"),
        ({"name": ""}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_view_input_is_a_400_naming_the_field(member, other_group, body, field):
    response = client_for(member).post("/api/v1/views/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_admins_share_with_everyone(admin, outsider):
    view = client_for(admin).post(
        "/api/v1/views/", {"name": "All urgent", "everyone": True}, format="json"
    )
    assert view.status_code == 201
    listed = client_for(outsider).get("/api/v1/views/").json()["results"]
    assert view.json()["id"] in [v["id"] for v in listed]


def test_a_shared_view_never_shows_a_colleague_tasks_they_may_not_see(
    group, other_group, member, assignee
):
    """Bob is in finance and legal; he shares an unfiltered view with finance. Alice (finance
    only) applying it sees finance's tasks and her own, never legal's."""
    member.groups.add(other_group)
    legal_only = TaskFactory(group=other_group, title="Legal secret")
    finance = TaskFactory(group=group, title="Finance work")
    view = (
        client_for(member)
        .post("/api/v1/views/", {"name": "Everything", "groups": ["finance"]}, format="json")
        .json()
    )
    bob_sees = ids(client_for(member).get("/api/v1/tasks/", {"view": view["id"]}))
    alice_sees = ids(client_for(assignee).get("/api/v1/tasks/", {"view": view["id"]}))
    assert str(legal_only.id) in bob_sees
    assert alice_sees == [str(finance.id)]
    export = client_for(assignee).get("/api/v1/tasks/export/", {"view": view["id"]})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r["id"] for r in rows] == [str(finance.id)]


@pytest.mark.parametrize("sort", ["created", "-due", "priority", "-updated", "context__amount"])
def test_csv_equals_the_api_list_for_the_same_filters(member, finance_tasks, sort):
    client = client_for(member)
    params = {"context__region": "EU", "sort": sort, "columns": "amount,region"}
    listed = walk(client, "/api/v1/tasks/", params, limit=2)
    response = client.get("/api/v1/tasks/export/", params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["id"] for r in rows] == listed and len(listed) == 4
    assert {r["context.region"] for r in rows} == {"EU"}
    assert rows[0]["source"] == "local" and rows[0]["group"] == "finance"


def test_csv_cells_of_every_context_type_across_chunks(member, group, monkeypatch):
    """Exports stream in chunks: every row arrives once, in list order, across chunk borders,
    and a chosen column shows strings as themselves, numbers and booleans as Python writes
    them, objects and arrays as JSON, null and missing as empty."""
    from inbox.queries import export

    monkeypatch.setattr(export, "CHUNK", 2)
    values = ["Zürich", 12.5, 7, True, False, None, {"b": 1, "a": [1, "x"]}, ["é", 2]]
    tasks = [
        TaskFactory(
            group=group,
            title=f"Task {i}",
            created_at=BASE + timedelta(minutes=i),
            context={"v": value, "n": i},
        )
        for i, value in enumerate(values)
    ] + [
        TaskFactory(
            group=group, title="No v", created_at=BASE + timedelta(minutes=9), context={"n": 9}
        )
    ]
    client = client_for(member)
    params = {"columns": "v,n", "sort": "created"}
    response = client.get("/api/v1/tasks/export/", params)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert (
        [r["id"] for r in rows]
        == walk(client, "/api/v1/tasks/", params)
        == [str(t.id) for t in tasks]
    )
    assert [r["context.v"] for r in rows] == [
        "Zürich",
        "12.5",
        "7",
        "True",
        "False",
        "",
        '{"a": [1, "x"], "b": 1}',
        '["é", 2]',
        "",
    ]
    assert [r["context.n"] for r in rows] == [str(i) for i in range(8)] + ["9"]
    assert rows[0]["created_at"] == tasks[0].created_at.isoformat()
    assert rows[0]["due_at"] == "" and rows[0]["assignee"] == ""


def test_an_unknown_sort_key_or_column_is_a_400_naming_it(member):
    client = client_for(member)
    for params, field in (
        ({"sort": "-colour"}, "sort"),
        ({"columns": "amount,1bad"}, "columns"),
        ({"sort": "relevance"}, "sort"),  # without a search text
    ):
        response = client.get("/api/v1/tasks/", params)
        assert response.status_code == 400 and field in response.json()["fields"], params
        assert client.get("/api/v1/tasks/export/", params).status_code == 400


SEARCH_CORPUS = [
    ("Approve travel to Lisbon", "Flights and hotel for the sales summit", {"city": "Lisbon"}),
    ("Refund for a broken chair", "Customer says the chair arrived broken", {}),
    ("Quarterly audit", "Collect receipts; one mentions Lisbon in passing", {}),
    ("Hardware order", "Laptops for onboarding", {"vendor": "Contoso"}),
    ("Invoice 7781", "Pay the printing company", {"customer": "Globex"}),
]


@pytest.fixture
def corpus(group, member):
    tasks = [
        TaskFactory(group=group, title=t, description=d, context=c) for t, d, c in SEARCH_CORPUS
    ]
    lifecycle.comment_add(task_id=tasks[3].id, user=member, text="The supplier wants a deposit")
    return tasks


def test_search_ranks_title_matches_first_and_highlights_them(member, corpus):
    client = client_for(member)
    results = client.get("/api/v1/tasks/", {"q": "lisbon"}).json()["results"]
    assert [r["title"] for r in results] == ["Approve travel to Lisbon", "Quarterly audit"]
    assert "<mark>Lisbon</mark>" in results[0]["highlight"]["title"]
    assert "<mark>Lisbon</mark>" in results[1]["highlight"]["description"]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("deposit", "Hardware order"),  # a comment
        ("globex", "Invoice 7781"),  # a context value
        ("broken chairs", "Refund for a broken chair"),  # stemmed, both words
        ("receipts", "Quarterly audit"),  # description
    ],
)
def test_search_reaches_comments_context_values_and_descriptions(member, corpus, text, title):
    results = client_for(member).get("/api/v1/tasks/", {"q": text}).json()["results"]
    assert [r["title"] for r in results] == [title]


def test_the_search_box_finds_a_task_by_its_id_external_id_or_case(member, corpus, group):
    client = client_for(member)
    target = corpus[4]
    assert ids(client.get("/api/v1/tasks/", {"q": str(target.id)})) == [str(target.id)]
    assert ids(client.get("/api/v1/tasks/", {"q": target.external_id})) == [str(target.id)]


def test_search_never_reaches_past_visibility(outsider, corpus):
    assert ids(client_for(outsider).get("/api/v1/tasks/", {"q": "lisbon"})) == []


def test_search_pages_by_relevance_with_stable_bookmarks(member, group):
    for i in range(7):
        TaskFactory(group=group, title=f"Contract {i}", description="contract " * (i % 3))
    client = client_for(member)
    listed = walk(client, "/api/v1/tasks/", {"q": "contract"}, limit=2)
    assert len(listed) == len(set(listed)) == 7


def test_views_list_pinned_views_with_counts_on_the_page(client, member, group):
    for _ in range(3):
        TaskFactory(group=group, context={"region": "EU"})
    TaskFactory(group=group, context={"region": "US"})
    view = (
        client_for(member)
        .post(
            "/api/v1/views/",
            {"name": "EU queue", "filters": {"context__region": "EU"}, "pinned": True},
            format="json",
        )
        .json()
    )
    client.force_login(member)
    body = client.get("/claimable/").content.decode()
    assert f'data-nav-view="{view["id"]}"' in body
    assert f'EU queue <span class="nav-count" id="nav-count-view-{view["id"]}"></span>' in body
    counts = client.get(f"/nav/counts/?views={view['id']}").content.decode()
    assert f'<span hx-swap-oob="innerHTML:#nav-count-view-{view["id"]}">3</span>' in counts
    assert '<span hx-swap-oob="innerHTML:#nav-count-claimable">4</span>' in counts
    body = client.get("/claimable/").content.decode()  # now cached: shown with the page
    assert f'EU queue <span class="nav-count" id="nav-count-view-{view["id"]}">3</span>' in body
    assert 'data-nav-count="claimable">4<' in body


def test_counts_are_capped(client, member, group, settings):
    settings.INBOX_NAV_COUNT_CAP = 2
    for _ in range(3):
        TaskFactory(group=group)
    client.force_login(member)
    counts = client.get("/nav/counts/").content.decode()
    assert '<span hx-swap-oob="innerHTML:#nav-count-claimable">2+</span>' in counts
    assert 'data-nav-count="claimable">2+<' in client.get("/").content.decode()


def test_a_group_the_user_left_stops_sharing(member, assignee, group):
    view = (
        client_for(member)
        .post("/api/v1/views/", {"name": "Team", "groups": ["finance"]}, format="json")
        .json()
    )
    assignee.groups.remove(group)
    assert client_for(assignee).get(f"/api/v1/views/{view['id']}/").status_code == 404
    carol = UserFactory(username="carol", groups=[group])
    assert client_for(carol).get(f"/api/v1/views/{view['id']}/").status_code == 200
