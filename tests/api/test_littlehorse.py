"""LittleHorse user-tasks-bridge compatibility: the bridge's documented requests and answers
(upstream README §5, seed 004)."""

import re
import uuid

import pytest

from inbox import lifecycle
from tests.factories import TaskFactory

BASE = "/littlehorse/default"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def task_url(task, suffix="", admin=False):
    prefix = f"{BASE}/admin/tasks" if admin else f"{BASE}/tasks"
    return f"{prefix}/{task.wf_run_id}/{task.id}{suffix}"


def assert_problem(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["instance"] == response.wsgi_request.path
    return body


def test_list_needs_a_limit_and_pages_with_a_bookmark(clients, group):
    tasks = [TaskFactory(group=group) for _ in range(3)]
    assert_problem(clients["member"].get(f"{BASE}/tasks"), 400)
    first = clients["member"].get(f"{BASE}/tasks", {"limit": 2}).json()
    assert len(first["userTasks"]) == 2 and first["bookmark"]
    last = (
        clients["member"].get(f"{BASE}/tasks", {"limit": 2, "bookmark": first["bookmark"]}).json()
    )
    assert "bookmark" not in last  # absent on the last page
    ids = [t["id"] for t in first["userTasks"] + last["userTasks"]]
    assert ids == [str(t.id) for t in tasks]


def test_simple_task_shape(clients, claimed_task, group, assignee):
    body = clients["assignee"].get(f"{BASE}/tasks", {"limit": 10}).json()
    task = body["userTasks"][0]
    assert task["id"] == str(claimed_task.id)
    assert task["wfRunId"] == claimed_task.wf_run_id
    assert task["userTaskDefName"] == "approval"
    assert task["status"] == "ASSIGNED"
    assert task["userGroup"] == {"id": str(group.pk), "name": "finance", "valid": True}
    assert task["user"] == {
        "id": str(assignee.pk),
        "email": "alice@example.com",
        "username": "alice",
        "firstName": None,
        "lastName": None,
        "valid": True,
    }
    assert TIME_RE.match(task["scheduledTime"])


def test_list_filters_by_status_type_group_id_and_dates(clients, group, other_group, assignee):
    a = TaskFactory(group=group, task_type="invoice")
    b = TaskFactory(group=group, task_type="travel")
    lifecycle.task_claim(task_id=b.id, user=assignee)

    def ids(**params):
        body = clients["assignee"].get(f"{BASE}/tasks", {"limit": 50, **params}).json()
        return [t["id"] for t in body["userTasks"]]

    assert ids(status="ASSIGNED") == [str(b.id)]
    assert ids(type="invoice") == [str(a.id)]
    assert ids(user_group_id=str(group.pk)) == [str(a.id), str(b.id)]
    assert ids(user_group_id="finance") == [str(a.id), str(b.id)]
    assert ids(user_group_id=str(other_group.pk)) == []
    assert ids(earliest_start_date="2999-01-01T00:00:00Z") == []
    assert ids(latest_start_date="2999-01-01T00:00:00Z") == [str(a.id), str(b.id)]
    assert_problem(
        clients["assignee"].get(f"{BASE}/tasks", {"limit": 5, "earliest_start_date": "x"}), 400
    )
    assert_problem(clients["assignee"].get(f"{BASE}/tasks", {"limit": 5, "status": "NOPE"}), 400)


def test_claimable_needs_a_group_and_lists_its_unassigned_tasks(clients, group, claimed_task):
    free = TaskFactory(group=group)
    assert_problem(clients["member"].get(f"{BASE}/tasks/claimable"), 400)
    body = (
        clients["member"]
        .get(f"{BASE}/tasks/claimable", {"user_group_id": str(group.pk), "limit": 10})
        .json()
    )
    assert [t["id"] for t in body["userTasks"]] == [str(free.id)]


def test_detail_has_fields_and_results_but_events_only_for_admins(clients, task):
    body = clients["member"].get(task_url(task)).json()
    assert body["fields"][0] == {
        "name": "approved",
        "displayName": "Approved",
        "description": "",
        "type": "BOOLEAN",
        "required": True,
    }
    assert body["results"] == {}
    assert "events" not in body
    assert_problem(clients["outsider"].get(task_url(task)), 404)
    wrong_run = f"{BASE}/tasks/not-the-run/{task.id}"
    assert_problem(clients["member"].get(wrong_run), 404)


def test_claim_then_result_then_terminal_rules(clients, task):
    assert clients["assignee"].post(task_url(task, "/claim")).status_code == 204
    assert_problem(clients["member"].post(task_url(task, "/claim")), 409)
    bad = clients["assignee"].post(
        task_url(task, "/result"),
        {
            "approved": {"type": "BOOLEAN", "value": "yes"},
            "count": {"type": "INTEGER", "value": 1.5},
        },
        format="json",
    )
    problem = assert_problem(bad, 400)
    assert set(problem["fields"]) == {"approved", "count"}
    done = clients["assignee"].post(
        task_url(task, "/result"),
        {"approved": {"type": "BOOLEAN", "value": True}, "note": {"type": "STR", "value": "ok"}},
        format="json",
    )
    assert done.status_code == 204
    detail = clients["assignee"].get(task_url(task)).json()
    assert detail["status"] == "DONE"
    assert detail["results"]["approved"] == {"type": "BOOLEAN", "value": True}
    assert_problem(clients["assignee"].post(task_url(task, "/cancel")), 403)
    assert_problem(clients["assignee"].post(task_url(task, "/claim")), 409)
    assert_problem(
        clients["assignee"].post(
            task_url(task, "/result"),
            {"approved": {"type": "BOOLEAN", "value": True}},
            format="json",
        ),
        412,
    )


def test_cancel_by_the_assignee_then_403(clients, claimed_task):
    assert_problem(clients["member"].post(task_url(claimed_task, "/cancel")), 403)
    assert clients["assignee"].post(task_url(claimed_task, "/cancel")).status_code == 204
    assert_problem(clients["assignee"].post(task_url(claimed_task, "/cancel")), 403)


def test_comments_round_trip_and_204_when_none(clients, task, assignee):
    assert clients["member"].get(task_url(task, "/comments")).status_code == 204
    added = clients["member"].post(task_url(task, "/comment"), {"comment": "On it"}, format="json")
    assert added.status_code == 200
    event = added.json()
    assert event["type"] == "COMMENT_ADDED" and TIME_RE.match(event["time"])
    comment_id = event["event"]["commentId"]
    assert event["event"]["comment"] == "On it"
    listed = clients["assignee"].get(task_url(task, "/comments")).json()
    assert [e["event"]["comment"] for e in listed] == ["On it"]
    assert_problem(
        clients["assignee"].put(
            task_url(task, f"/comment/{comment_id}"), {"comment": "mine now"}, format="json"
        ),
        403,
    )
    edited = clients["member"].put(
        task_url(task, f"/comment/{comment_id}"), {"comment": "Done"}, format="json"
    )
    assert edited.json()["type"] == "COMMENT_EDITED"
    assert edited.json()["event"]["comment"] == "Done"
    deleted = clients["member"].delete(task_url(task, f"/comment/{comment_id}"))
    assert deleted.json()["type"] == "COMMENT_DELETED"
    assert clients["member"].get(task_url(task, "/comments")).status_code == 204
    assert_problem(clients["member"].post(task_url(task, "/comment"), {}, format="json"), 400)


def test_groups_and_user_info(clients, group, member):
    assert clients["member"].get(f"{BASE}/groups").json() == {
        "groups": [{"id": str(group.pk), "name": "finance", "valid": True}]
    }
    info = clients["member"].get(f"{BASE}/userInfo").json()
    assert info["id"] == str(member.pk) and info["username"] == "bob" and info["valid"] is True


def test_unknown_tenant_and_missing_token_are_401(clients, client, db):
    assert_problem(clients["member"].get("/littlehorse/acme/tasks", {"limit": 5}), 401)
    assert_problem(client.get(f"{BASE}/tasks", {"limit": 5}), 401)


def test_configured_tenants_are_served(clients, settings, db):
    settings.LITTLEHORSE_TENANTS = ["acme"]
    assert clients["member"].get("/littlehorse/acme/userInfo").status_code == 200
    assert_problem(clients["member"].get(f"{BASE}/userInfo"), 401)


# --- admin routes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/admin/tasks?type=approval"),
        ("get", "/admin/taskTypes"),
        ("get", "/admin/groups"),
        ("get", "/admin/users"),
        ("post", "/admin/tasks/{wf}/{id}/assign"),
        ("post", "/admin/tasks/{wf}/{id}/cancel"),
    ],
)
def test_admin_routes_are_403_for_staff(clients, task, method, path):
    url = BASE + path.format(wf=task.wf_run_id, id=task.id)
    assert_problem(getattr(clients["member"], method)(url, {}, format="json"), 403)


def test_admin_task_list_needs_a_type(clients, task):
    assert_problem(clients["admin"].get(f"{BASE}/admin/tasks"), 400)
    body = clients["admin"].get(f"{BASE}/admin/tasks", {"type": "approval", "limit": 5}).json()
    assert [t["id"] for t in body["userTasks"]] == [str(task.id)]
    assert "bookmark" not in body


def test_admin_task_list_filters_by_user_id(clients, group, assignee):
    held = TaskFactory(group=group)
    TaskFactory(group=group)
    lifecycle.task_claim(task_id=held.id, user=assignee)
    body = (
        clients["admin"]
        .get(f"{BASE}/admin/tasks", {"type": "approval", "user_id": str(assignee.pk)})
        .json()
    )
    assert [t["id"] for t in body["userTasks"]] == [str(held.id)]


def test_admin_task_types_page(clients, group):
    for task_type in ("b", "a", "c"):
        TaskFactory(group=group, task_type=task_type)
    first = clients["admin"].get(f"{BASE}/admin/taskTypes", {"limit": 2}).json()
    assert first["userTaskDefNames"] == ["a", "b"] and first["bookmark"]
    rest = (
        clients["admin"]
        .get(f"{BASE}/admin/taskTypes", {"limit": 2, "bookmark": first["bookmark"]})
        .json()
    )
    assert rest == {"userTaskDefNames": ["c"]}


def test_admin_detail_has_events_in_bridge_shape(clients, claimed_task, assignee, group):
    lifecycle.task_cancel(task_id=claimed_task.id, user=assignee, message="dup")
    body = clients["admin"].get(task_url(claimed_task, admin=True)).json()
    kinds = [e["type"] for e in body["events"]]
    assert kinds == ["TASK_ASSIGNED", "TASK_CANCELLED"]
    assigned = body["events"][0]
    assert assigned["event"] == {
        "oldUserGroup": str(group.pk),
        "newUserId": str(assignee.pk),
        "newUserGroup": str(group.pk),
    }
    assert TIME_RE.match(assigned["time"])
    assert body["events"][1]["event"] == {"message": "dup"}


def test_admin_assign_accepts_ids_the_bridge_gave_out(clients, task, member, other_group):
    url = task_url(task, "/assign", admin=True)
    assert_problem(clients["admin"].post(url, {}, format="json"), 400)
    assert_problem(clients["admin"].post(url, {"userId": "", "userGroup": ""}, format="json"), 400)
    assert clients["admin"].post(url, {"userId": str(member.pk)}, format="json").status_code == 204
    detail = clients["admin"].get(task_url(task, admin=True)).json()
    assert detail["user"]["username"] == "bob"
    response = clients["admin"].post(url, {"userGroupId": str(other_group.pk)}, format="json")
    assert response.status_code == 204
    detail = clients["admin"].get(task_url(task, admin=True)).json()
    assert detail["userGroup"]["name"] == "legal" and "user" not in detail
    assert_problem(clients["admin"].post(url, {"userId": "ghost"}, format="json"), 409)


def test_admin_result_cancel_and_claim(clients, group, assignee, admin):
    a, b, c = (TaskFactory(group=group) for _ in range(3))
    lifecycle.task_claim(task_id=a.id, user=assignee)
    assert_problem(
        clients["admin"].post(
            task_url(a, "/result", admin=True),
            {"approved": {"type": "BOOLEAN", "value": "x"}},
            format="json",
        ),
        400,
    )
    ok = clients["admin"].post(
        task_url(a, "/result", admin=True),
        {"approved": {"type": "BOOLEAN", "value": False}},
        format="json",
    )
    assert ok.status_code == 204
    assert clients["admin"].post(task_url(b, "/cancel", admin=True)).status_code == 204
    assert_problem(clients["admin"].post(task_url(b, "/cancel", admin=True)), 403)
    assert clients["admin"].post(task_url(c, "/claim", admin=True)).status_code == 204
    c.refresh_from_db()
    assert c.assignee == admin


def test_admin_groups_and_users(clients, people, group, other_group):
    groups = clients["admin"].get(f"{BASE}/admin/groups").json()["groups"]
    assert [g["name"] for g in groups] == ["finance", "legal"]
    users = clients["admin"].get(f"{BASE}/admin/users", {"user_group_id": str(group.pk)}).json()
    assert sorted(u["username"] for u in users["users"]) == ["alice", "bob"]
    page = clients["admin"].get(f"{BASE}/admin/users", {"first_result": 1, "max_results": 2}).json()
    assert len(page["users"]) == 2
    by_email = clients["admin"].get(f"{BASE}/admin/users", {"email": "BOB@example.com"}).json()
    assert [u["username"] for u in by_email["users"]] == ["bob"]
    bob = people["member"]
    assert clients["admin"].get(f"{BASE}/admin/users/{bob.pk}").json()["username"] == "bob"
    assert_problem(clients["admin"].get(f"{BASE}/admin/users/{uuid.uuid4()}"), 404)


def test_unknown_bridge_paths_are_a_404_problem(clients, db):
    assert_problem(clients["member"].get(f"{BASE}/nothing/here"), 404)
    assert_problem(clients["member"].get("/littlehorse/acme/nothing"), 401)
