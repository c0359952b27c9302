"""LittleHorse bridge compatibility, user routes: the bridge's list semantics, status codes and
shapes (UserController / UserTaskService of lh-user-tasks-bridge)."""

import pytest

from inbox import lifecycle
from inbox.models import TaskStatus
from tests.api.littlehorse_support import (
    BASE,
    TIME_RE,
    assert_empty,
    assert_problem,
    task_url,
)
from tests.factories import TaskFactory

GOOD = {"approved": {"type": "BOOLEAN", "value": True}, "note": {"type": "STRING", "value": "ok"}}


def ids(response):
    assert response.status_code == 200, response.content[:300]
    return [t["id"] for t in response.json()["userTasks"]]


def test_my_tasks_are_the_callers_own_in_any_status(clients, group, assignee):
    mine, done = TaskFactory(group=group), TaskFactory(group=group)
    TaskFactory(group=group)  # claimable, not "mine"
    lifecycle.task_claim(task_id=mine.id, user=assignee)
    lifecycle.task_claim(task_id=done.id, user=assignee)
    lifecycle.task_complete(task_id=done.id, user=assignee, results={"approved": GOOD["approved"]})
    url = f"{BASE}/tasks"
    assert ids(clients["assignee"].get(url, {"limit": 10})) == [str(mine.id), str(done.id)]
    assert ids(clients["assignee"].get(url, {"limit": 10, "status": "DONE"})) == [str(done.id)]
    assert ids(clients["member"].get(url, {"limit": 10})) == []
    # status=UNASSIGNED with one of my groups: the group's unassigned tasks; without: nothing
    unassigned = clients["member"].get(
        url, {"limit": 10, "status": "UNASSIGNED", "user_group_id": str(group.pk)}
    )
    assert len(ids(unassigned)) == 1
    assert ids(clients["member"].get(url, {"limit": 10, "status": "UNASSIGNED"})) == []


def test_list_needs_a_limit_and_pages_with_a_bookmark_null_at_the_end(clients, group):
    tasks = [TaskFactory(group=group) for _ in range(3)]
    url = f"{BASE}/tasks/claimable"
    assert_problem(clients["member"].get(f"{BASE}/tasks"), 400)
    assert_problem(clients["member"].get(url, {"user_group_id": str(group.pk)}), 400)
    first = clients["member"].get(url, {"limit": 2, "user_group_id": str(group.pk)}).json()
    assert len(first["userTasks"]) == 2 and first["bookmark"]
    last = clients["member"].get(
        url, {"limit": 2, "user_group_id": "finance", "bookmark": first["bookmark"]}
    )
    assert last.json()["bookmark"] is None
    assert [t["id"] for t in first["userTasks"]] + ids(last) == [str(t.id) for t in tasks]


@pytest.mark.parametrize("path", ["/tasks", "/tasks/claimable"])
def test_a_group_the_caller_is_not_in_is_403(clients, other_group, path):
    for ref in (str(other_group.pk), "legal", "999999", "²"):
        response = clients["member"].get(f"{BASE}{path}", {"limit": 5, "user_group_id": ref})
        assert_problem(response, 403)


def test_simple_task_shape_has_nulls_not_absent_members(clients, task, group, assignee):
    body = (
        clients["member"]
        .get(f"{BASE}/tasks/claimable", {"limit": 5, "user_group_id": str(group.pk)})
        .json()
    )
    assert body["userTasks"][0]["user"] is None
    lifecycle.task_claim(task_id=task.id, user=assignee)
    shown = clients["assignee"].get(f"{BASE}/tasks", {"limit": 5}).json()["userTasks"][0]
    assert shown == {
        "id": str(task.id),
        "wfRunId": task.wf_run_id,
        "userTaskDefName": "approval",
        "userGroup": {"id": str(group.pk), "name": "finance", "valid": True},
        "user": {
            "id": str(assignee.pk),
            "email": "alice@example.com",
            "username": "alice",
            "firstName": None,
            "lastName": None,
            "valid": True,
        },
        "status": "ASSIGNED",
        "notes": task.description,
        "scheduledTime": shown["scheduledTime"],
    }
    assert TIME_RE.match(shown["scheduledTime"])


def test_list_filters_type_and_dates(clients, group, assignee):
    a = TaskFactory(group=group, task_type="invoice")
    lifecycle.task_claim(task_id=a.id, user=assignee)
    url = f"{BASE}/tasks"
    assert ids(clients["assignee"].get(url, {"limit": 5, "type": "invoice"})) == [str(a.id)]
    assert ids(clients["assignee"].get(url, {"limit": 5, "type": "travel"})) == []
    late = {"limit": 5, "earliest_start_date": "2999-01-01T00:00:00"}
    assert ids(clients["assignee"].get(url, late)) == []
    for bad in ({"earliest_start_date": "x"}, {"status": "NOPE"}, {"limit": "١"}):
        assert_problem(clients["assignee"].get(url, {"limit": 5, **bad}), 400)


def test_detail_of_another_users_task_is_401_and_unknown_404(clients, claimed_task, task):
    body = clients["assignee"].get(task_url(claimed_task)).json()
    assert body["fields"][0] == {
        "name": "approved",
        "displayName": "Approved",
        "description": "",
        "type": "BOOLEAN",
        "required": True,
    }
    assert body["results"] == {} and "events" not in body
    assert_problem(clients["member"].get(task_url(claimed_task)), 401)
    assert_problem(clients["outsider"].get(task_url(claimed_task)), 401)
    assert_problem(clients["member"].get(f"{BASE}/tasks/not-the-run/{task.id}"), 404)
    assert_problem(clients["member"].get(f"{BASE}/tasks/{task.wf_run_id}/nope"), 404)


def test_claim_is_409_for_anything_but_an_unassigned_task_of_my_group(clients, task, other_group):
    legal = TaskFactory(group=other_group)
    assert_empty(clients["assignee"].post(task_url(task, "/claim")), 204)
    assert_problem(clients["member"].post(task_url(task, "/claim")), 409)
    assert_problem(clients["member"].post(task_url(legal, "/claim")), 409)
    assert_problem(clients["member"].post(f"{BASE}/tasks/x/{task.id}/claim"), 404)


def test_result_rules_as_the_bridge(clients, task):
    bad = clients["assignee"].post(
        task_url(task, "/result"),
        {
            "approved": {"type": "BOOLEAN", "value": "yes"},
            "count": {"type": "INTEGER", "value": 1.5},
        },
        format="json",
    )
    assert set(assert_problem(bad, 400)["fields"]) == {"approved", "count"}
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED  # the implicit claim rolled back
    # an unclaimed task of my group: completing it succeeds (claimed and completed at once)
    assert_empty(clients["member"].post(task_url(task, "/result"), GOOD, format="json"), 204)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.assignee.username == "bob"
    done = clients["member"].post(task_url(task, "/result"), GOOD, format="json")
    assert "DONE" in assert_problem(done, 403)["message"]  # v0.13 client: TaskStateError
    assert_problem(clients["assignee"].post(task_url(task, "/result"), GOOD, format="json"), 401)
    assert (
        "DONE" in assert_problem(clients["member"].post(task_url(task, "/cancel")), 403)["message"]
    )


def test_result_on_another_groups_task_is_refused(clients, other_group):
    legal = TaskFactory(group=other_group)
    assert_problem(clients["member"].post(task_url(legal, "/result"), GOOD, format="json"), 401)


def test_cancel_by_the_assignee_then_403(clients, claimed_task, group, other_group):
    assert_problem(clients["member"].post(task_url(claimed_task, "/cancel")), 401)
    assert_empty(clients["assignee"].post(task_url(claimed_task, "/cancel")), 204)
    again = assert_problem(clients["assignee"].post(task_url(claimed_task, "/cancel")), 403)
    assert "CANCELLED" in again["message"]
    # an unclaimed task of my group: claimed and cancelled at once (the bridge lets members)
    free = TaskFactory(group=group)
    assert_empty(clients["member"].post(task_url(free, "/cancel")), 204)
    free.refresh_from_db()
    assert free.status == TaskStatus.CANCELLED and free.assignee.username == "bob"
    kinds = [e.kind for e in free.events.order_by("created_at", "id")]
    assert kinds[-2:] == ["ASSIGNED", "CANCELLED"]
    legal = TaskFactory(group=other_group)
    assert_problem(clients["member"].post(task_url(legal, "/cancel")), 401)


def test_comments_as_the_bridge_with_the_inbox_rules(clients, task, member, outsider):
    assert_empty(clients["member"].get(task_url(task, "/comments")), 204)
    added = clients["member"].post(task_url(task, "/comment"), {"comment": "On it"}, format="json")
    event = added.json()
    assert event["type"] == "COMMENT_ADDED" and TIME_RE.match(event["time"])
    assert event["event"]["comment"] == "On it"
    assert event["event"]["userId"] == f"{member.pk}::bob"
    cid = event["event"]["commentId"]
    url = task_url(task, f"/comment/{cid}")
    # only the author edits (the bridge lets anyone: the inbox's rule is kept)
    assert_problem(clients["assignee"].put(url, {"comment": "mine"}, format="json"), 403)
    # someone who cannot see the task cannot comment (the bridge lets anyone)
    assert_problem(
        clients["outsider"].post(task_url(task, "/comment"), {"comment": "x"}, format="json"), 401
    )
    edited = clients["member"].put(url, {"comment": "Done"}, format="json").json()
    assert edited["type"] == "COMMENT_EDITED" and edited["event"]["comment"] == "Done"
    deleted = clients["member"].delete(url).json()
    assert deleted["type"] == "COMMENT_DELETED"
    assert deleted["event"] == {"userId": f"{member.pk}::bob", "commentId": cid}
    # the list is the latest event of each comment, the deleted one included
    listed = clients["assignee"].get(task_url(task, "/comments")).json()
    assert [e["type"] for e in listed] == ["COMMENT_DELETED"]
    assert_problem(clients["member"].put(url, {"comment": "again"}, format="json"), 409)
    assert_problem(clients["member"].delete(url), 409)
    assert_problem(clients["member"].delete(task_url(task, "/comment/99999")), 404)
    assert_problem(clients["member"].delete(task_url(task, "/comment/²")), 400)
    assert_problem(clients["member"].post(task_url(task, "/comment"), {}, format="json"), 400)


def test_groups_and_user_info(clients, group, member):
    assert clients["member"].get(f"{BASE}/groups").json() == {
        "groups": [{"id": str(group.pk), "name": "finance", "valid": True}]
    }
    info = clients["member"].get(f"{BASE}/userInfo").json()
    assert info["id"] == str(member.pk) and info["username"] == "bob" and info["valid"] is True
