"""Keyset paging yields every visible task exactly once; 20 simultaneous claims over real HTTP
have exactly one winner."""

import threading
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from accounts.services import api_token_create
from inbox import lifecycle
from inbox.models import TaskStatus
from inbox.queries import TaskFilters, visible_tasks
from tests.factories import GroupFactory, TaskFactory, UserFactory


@pytest.fixture
def many_tasks(group, other_group, assignee, member):
    """40 tasks over three groups and all states, several sharing one created_at."""
    support = GroupFactory(name="support")
    assignee.groups.add(support)
    same_moment = timezone.now() - timedelta(days=1)
    groups = [group, other_group, support]
    for n in range(40):
        task = TaskFactory(
            group=groups[n % 3],
            task_type=("invoice", "travel")[n % 2],
            context={"region": ("EU", "US")[n % 2]},
            created_at=same_moment if n % 4 == 0 else same_moment + timedelta(seconds=n),
        )
        if n % 5 == 1 and task.group == group:
            lifecycle.task_claim(task_id=task.id, user=member)
        if n % 7 == 2 and task.group == group:
            lifecycle.task_claim(task_id=task.id, user=assignee)
            lifecycle.task_cancel(task_id=task.id, user=assignee)


def walk(client, url, params, limit):
    seen, bookmark, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"bookmark": bookmark} if bookmark else {})}
        body = client.get(url, query).json()
        seen += [t["id"] for t in body["results"]]
        pages += 1
        bookmark = body["bookmark"]
        assert pages < 100
        if bookmark is None:
            return seen


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "UNASSIGNED"},
        {"status": "ASSIGNED,CANCELLED"},
        {"type": "travel"},
        {"group": "support"},
        {"context__region": "EU"},
    ],
    ids=["all", "unassigned", "assigned+cancelled", "type", "group", "context"],
)
@pytest.mark.parametrize("role", ["assignee", "member", "admin"])
def test_walking_the_pages_yields_each_visible_task_once(clients, people, many_tasks, params, role):
    user = people[role]
    expected = TaskFilters.from_params(params)
    qs = expected.apply(visible_tasks(user))
    if expected.status:
        qs = qs.filter(status__in=expected.status)
    if expected.group:
        qs = qs.filter(group__name=expected.group)
    wanted = [str(t.id) for t in qs.order_by("created_at", "id")]
    for limit in (1, 7, 500):
        seen = walk(clients[role], "/api/v1/tasks/", params, limit)
        assert seen == wanted, (limit, len(seen), len(wanted))
    # The fixture gives every role something to page through, except bob's non-group.
    assert wanted or (role == "member" and params == {"group": "support"})


@pytest.mark.parametrize("role", ["assignee", "admin"])
def test_newest_first_pages_are_the_same_tasks_in_reverse(clients, many_tasks, role):
    oldest = walk(clients[role], "/api/v1/tasks/", {}, 7)
    newest = walk(clients[role], "/api/v1/tasks/", {"order": "newest"}, 7)
    assert newest == list(reversed(oldest))


def test_an_unknown_order_is_a_validation_error(clients):
    response = clients["admin"].get("/api/v1/tasks/", {"order": "random"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"order": ["Use oldest or newest."]}


def test_admin_pages_cover_every_task(clients, many_tasks):
    seen = walk(clients["admin"], "/api/v1/admin/tasks/", {}, 6)
    assert len(seen) == len(set(seen)) == 40


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_over_http_have_one_winner(live_server):
    finance = GroupFactory(name="finance")
    task = TaskFactory(group=finance)
    tokens = []
    for n in range(20):
        user = UserFactory(username=f"racer{n}", groups=[finance])
        tokens.append(api_token_create(user=user)[1])
    barrier = threading.Barrier(20)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def claim(token):
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"/api/v1/tasks/{task.id}/claim/", headers={"Authorization": f"Bearer {token}"}
            )
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19, statuses
    assert {body["code"] for status, body in results if status == 409} == {"assignment"}
    winner = next(body for status, body in results if status == 200)
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    assert task.assignee.username == winner["assignee"]["username"]
    assert task.version == 2
