"""LittleHorse bridge compatibility, admin task routes (AdminController of the bridge)."""

import pytest

from inbox import lifecycle
from inbox.models import TaskStatus
from tests.api.littlehorse_support import BASE, TIME_RE, assert_empty, assert_problem, task_url
from tests.factories import TaskFactory

GOOD = {"approved": {"type": "BOOLEAN", "value": True}}


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/admin/tasks?type=approval&limit=5"),
        ("get", "/admin/taskTypes?limit=5"),
        ("get", "/admin/groups"),
        ("get", "/admin/users"),
        ("post", "/admin/tasks/{wf}/{id}/assign"),
        ("post", "/admin/tasks/{wf}/{id}/cancel"),
        ("get", "/management/users"),
        ("post", "/management/groups"),
    ],
)
def test_admin_routes_are_403_for_staff(clients, task, method, path):
    url = BASE + path.format(wf=task.wf_run_id, id=task.id)
    assert_problem(getattr(clients["member"], method)(url, {}, format="json"), 403)


def test_admin_task_list_needs_a_type_and_a_limit(clients, group, assignee):
    held, free = TaskFactory(group=group), TaskFactory(group=group)
    lifecycle.task_claim(task_id=held.id, user=assignee)
    url = f"{BASE}/admin/tasks"
    assert_problem(clients["admin"].get(url, {"limit": 5}), 400)
    assert_problem(clients["admin"].get(url, {"type": "approval"}), 400)
    body = clients["admin"].get(url, {"type": "approval", "limit": 5}).json()
    assert [t["id"] for t in body["userTasks"]] == [str(held.id), str(free.id)]
    assert body["bookmark"] is None
    by_user = clients["admin"].get(url, {"type": "approval", "limit": 5, "user_id": assignee.pk})
    assert [t["id"] for t in by_user.json()["userTasks"]] == [str(held.id)]


def test_admin_task_types_page(clients, group):
    for task_type in ("b", "a", "c"):
        TaskFactory(group=group, task_type=task_type)
    url = f"{BASE}/admin/taskTypes"
    assert_problem(clients["admin"].get(url), 400)
    first = clients["admin"].get(url, {"limit": 2}).json()
    assert first["userTaskDefNames"] == ["a", "b"] and first["bookmark"]
    rest = clients["admin"].get(url, {"limit": 2, "bookmark": first["bookmark"]}).json()
    assert rest == {"userTaskDefNames": ["c"], "bookmark": None}


def test_admin_detail_events_name_groups_and_start_with_the_arrival(
    clients, claimed_task, assignee
):
    lifecycle.task_cancel(task_id=claimed_task.id, user=assignee)
    body = clients["admin"].get(task_url(claimed_task, admin=True)).json()
    assert [e["type"] for e in body["events"]] == [
        "TASK_ASSIGNED",
        "TASK_ASSIGNED",
        "TASK_CANCELLED",
    ]
    arrival, claim, cancelled = body["events"]
    assert arrival["event"] == {
        "oldUserId": "",
        "oldUserGroup": "",
        "newUserId": "",
        "newUserGroup": "finance",
    }
    assert claim["event"] == {
        "oldUserId": "",
        "oldUserGroup": "finance",
        "newUserId": str(assignee.pk),
        "newUserGroup": "finance",
    }
    assert TIME_RE.match(claim["time"])
    assert cancelled["event"] == {"message": "UserTaskRun was cancelled"}
    assert_problem(clients["admin"].get(f"{BASE}/admin/tasks/x/{claimed_task.id}"), 404)


def test_admin_result_then_403_and_completed_message(clients, task):
    bad = {"approved": {"type": "BOOLEAN", "value": "x"}}
    assert_problem(
        clients["admin"].post(task_url(task, "/result", admin=True), bad, format="json"), 400
    )
    ok = clients["admin"].post(task_url(task, "/result", admin=True), GOOD, format="json")
    assert_empty(ok, 204)
    again = clients["admin"].post(task_url(task, "/result", admin=True), GOOD, format="json")
    assert "DONE" in assert_problem(again, 403)["message"]
    events = clients["admin"].get(task_url(task, admin=True)).json()["events"]
    assert events[-1] == {**events[-1], "type": "TASK_COMPLETED", "event": {"message": "Completed"}}


def test_admin_cancel_and_claim(clients, group, admin, assignee):
    a, b = TaskFactory(group=group), TaskFactory(group=group)
    lifecycle.task_claim(task_id=b.id, user=assignee)
    assert_empty(clients["admin"].post(task_url(a, "/cancel", admin=True)), 204)
    assert_problem(clients["admin"].post(task_url(a, "/cancel", admin=True)), 403)
    assert_problem(clients["admin"].post(task_url(a, "/claim", admin=True)), 409)
    assert_empty(clients["admin"].post(task_url(b, "/claim", admin=True)), 204)  # overrides
    b.refresh_from_db()
    assert b.assignee == admin


def test_admin_assign_status_codes_as_the_bridge(
    clients, task, member, outsider, other_group, group, admin
):
    url = task_url(task, "/assign", admin=True)

    def post(body):
        return clients["admin"].post(url, body, format="json")

    assert_problem(post({}), 400)
    assert_problem(post({"userId": "", "userGroup": ""}), 400)
    assert_problem(post({"userId": "999999"}), 400)
    assert_problem(post({"userGroup": "999999"}), 400)
    # a user outside the given group
    assert_problem(post({"userId": str(outsider.pk), "userGroup": str(group.pk)}), 400)
    assert_empty(post({"userId": str(member.pk)}), 204)
    detail = clients["admin"].get(task_url(task, admin=True)).json()
    assert detail["user"]["username"] == "bob"
    assert_empty(post({"userGroup": str(other_group.pk)}), 204)
    detail = clients["admin"].get(task_url(task, admin=True)).json()
    assert detail["userGroup"]["name"] == "legal" and detail["user"] is None
    assert detail["status"] == TaskStatus.UNASSIGNED
    lifecycle.task_admin_cancel(task_id=task.id, actor=admin)
    terminal = assert_problem(post({"userId": str(member.pk)}), 412)
    assert "assign" in terminal["message"]  # v0.13 client: AssignmentError


def test_admin_groups_and_users(clients, people, group, other_group):
    groups = clients["admin"].get(f"{BASE}/admin/groups").json()["groups"]
    assert [g["name"] for g in groups] == ["finance", "legal"]
    users = clients["admin"].get(f"{BASE}/admin/users", {"user_group_id": str(group.pk)}).json()
    assert sorted(u["username"] for u in users["users"]) == ["alice", "bob"]
    page = clients["admin"].get(f"{BASE}/admin/users", {"first_result": 1, "max_results": 2})
    assert len(page.json()["users"]) == 2
    by_email = clients["admin"].get(f"{BASE}/admin/users", {"email": "BOB@example"}).json()
    assert [u["username"] for u in by_email["users"]] == ["bob"]
    bob = people["member"]
    assert clients["admin"].get(f"{BASE}/admin/users/{bob.pk}").json()["username"] == "bob"
    assert_problem(clients["admin"].get(f"{BASE}/admin/users/999999"), 404)
