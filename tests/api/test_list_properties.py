"""Property: no query string, however hostile, gets a 5xx from any list endpoint or page, web
or API. Parameter names come from each list's real filters plus arbitrary ones; values from
text with Unicode digits, NUL, controls, huge numbers and arbitrary bytes (percent-encoded, so
invalid UTF-8 too)."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote_from_bytes

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.models import UserTask
from tests.api.conftest import client_for
from tests.factories import TaskFactory

API_LISTS = [
    "/api/v1/tasks/",
    "/api/v1/tasks/claimable/",
    "/api/v1/admin/tasks/",
    "/api/v1/cases/",
    "/api/v1/groups/",
    "/api/v1/me/tokens/",
    "/api/v1/admin/users/",
    "/api/v1/admin/groups/",
    "/api/v1/admin/task-types/",
    "/api/v1/admin/sources/",
    "/api/v1/views/",
]
WEB_LISTS = [
    "/",
    "/claimable/",
    "/history/",
    "/cases/",
    "/console/tasks/",
    "/console/users/",
    "/console/task-types/",
    "/console/sources/",
    "/console/pick/users/",
    "/console/pick/groups/",
    "/export/claimable.csv",
]
NAMES = [
    "limit", "bookmark", "order", "status", "type", "group", "case", "source", "q", "user",
    "assignee", "unrouted", "created_after", "created_before", "due_after", "due_before",
    "context__region", "context__", "before", "shown", "stamp", "name", "sort", "view",
    "columns",
]  # fmt: skip
HOSTILE = ["²", "①", "٣", "１", "\x00", "1e309", "1e400", "NaN", "-1", "0", "9" * 30, "\n", " "]
SORT_KEYS = ["follow_up", "-follow_up", "due", "-priority", "context__region", "relevance"]

values = st.one_of(
    st.sampled_from(HOSTILE).map(lambda s: s.encode()),
    st.sampled_from(SORT_KEYS).map(lambda s: s.encode()),
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=12),
    st.integers(min_value=-(10**25), max_value=10**25).map(lambda n: str(n).encode()),
)
names = st.one_of(st.sampled_from(NAMES).map(str.encode), st.binary(min_size=1, max_size=8))
queries = st.lists(st.tuples(names, values), max_size=5).map(
    lambda pairs: "&".join(f"{quote_from_bytes(k)}={quote_from_bytes(v)}" for k, v in pairs)
)
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def populated(group, assignee, admin):
    TaskFactory(group=group, context={"region": "EU", "n": 3})
    return admin


@pytest.mark.parametrize("url", API_LISTS)
@PROPERTY
@given(query=queries)
def test_no_api_list_query_gets_a_5xx(populated, url, query):
    cache.clear()  # the throttle counts every example
    response = client_for(populated).get(f"{url}?{query}")
    assert response.status_code < 500, (url, query, response.content[:300])
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("url", WEB_LISTS)
@PROPERTY
@given(query=queries, htmx=st.booleans())
def test_no_web_page_query_gets_a_5xx(populated, url, query, htmx):
    client = Client()
    client.force_login(populated)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(f"{url}?{query}", **headers)
    assert response.status_code < 500, (url, query, response.content[:300])


@pytest.fixture
def follow_ups(group, member):
    """Seven tasks of bob's group: follow-up dates with ties, and three without one (as
    sla.policies stores a policy's "claim within" date)."""
    base = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for days in (2, None, 0, 2, None, 1, None):
        task = TaskFactory(group=group, title=f"fixture {days}")
        when = None if days is None else base + timedelta(days=days)
        UserTask.objects.filter(pk=task.pk).update(follow_up_at=when)
    return member


@PROPERTY
@given(limit=st.integers(1, 4), descending=st.booleans(), inserts=st.integers(0, 2))
def test_the_api_walks_the_follow_up_order_once_whatever_the_page_size(
    follow_ups, group, limit, descending, inserts
):
    cache.clear()  # the throttle counts every example
    client = client_for(follow_ups)
    sort = "-follow_up" if descending else "follow_up"
    UserTask.objects.filter(group=group, follow_up_at__isnull=True).exclude(
        title__startswith="fixture "
    ).delete()  # the last example's arrivals
    before = list(UserTask.objects.filter(group=group).values_list("id", "follow_up_at"))
    assert len(before) == 7
    present = sorted([r for r in before if r[1] is not None], key=lambda r: (r[1], r[0]))
    absent = sorted([r for r in before if r[1] is None], key=lambda r: r[0])
    order = [r[0] for r in present + absent]
    if descending:
        order.reverse()
    seen, bookmark = [], None
    for page in range(60):
        params = {"sort": sort, "limit": limit, **({"bookmark": bookmark} if bookmark else {})}
        response = client.get("/api/v1/tasks/", params)
        assert response.status_code == 200, response.content[:300]
        seen += [row["id"] for row in response.json()["results"]]
        bookmark = response.json().get("bookmark")
        if not bookmark:
            break
        for _ in range(inserts if page < 3 else 0):  # tasks arriving between two pages
            TaskFactory(group=group)
    assert len(seen) == len(set(seen)), "a task came twice"
    assert [i for i in seen if i in {str(t) for t in order}] == [str(t) for t in order]
