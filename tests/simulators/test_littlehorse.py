"""LittleHorse bridge simulator: user and admin routes, bookmarks, claim/assign/complete/comments."""

from __future__ import annotations

import httpx

SIMPLE = {"id", "wfRunId", "userTaskDefName", "status", "notes", "scheduledTime"}
GROUPS = {"finance": "0f6e1d2c-0000-4000-9000-00000000f001"}


def walk(client, path, key="userTasks", **params):
    seen, bookmark, pages = [], None, 0
    while True:
        query = {**params, **({"bookmark": bookmark} if bookmark else {})}
        resp = client.get(path, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen += body[key]
        pages += 1
        bookmark = body.get("bookmark")
        if bookmark is None:
            return seen, pages


def admin_tasks(littlehorse, **params):
    out = []
    for kind in walk(littlehorse, "/admin/taskTypes", "userTaskDefNames", limit=3)[0]:
        out += walk(littlehorse, "/admin/tasks", type=kind, limit=5, **params)[0]
    return out


def an_unassigned_finance_task(littlehorse):
    return next(
        t
        for t in admin_tasks(littlehorse, status="UNASSIGNED")
        if t["userGroup"]["name"] == "finance"
    )


def test_admin_walks_every_task_once_with_bookmarks(littlehorse):
    tasks = admin_tasks(littlehorse)
    assert len(tasks) == 40 and len({t["id"] for t in tasks}) == 40
    assert all(set(t) >= SIMPLE for t in tasks)
    assert {t["status"] for t in tasks} == {"UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED"}
    assert tasks[0]["scheduledTime"][-5] == "." and tasks[0]["scheduledTime"].endswith("Z")
    body = littlehorse.get("/admin/tasks", params={"type": "approve-expense", "limit": 1000}).json()
    assert "bookmark" not in body


def test_list_requires_limit_and_admin_list_requires_type(littlehorse):
    resp = littlehorse.get("/tasks")
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    assert set(resp.json()) == {"type", "title", "status", "detail", "instance"}
    assert littlehorse.get("/admin/tasks", params={"limit": 5}).status_code == 400
    assert littlehorse.get("/tasks", params={"limit": 5, "bookmark": "!!"}).status_code == 400


def test_auth_failures_unknown_tenant_and_admin_only_routes(sim, as_user):
    base = sim.urls["littlehorse"]
    assert httpx.get(base + "/default/userInfo").status_code == 401
    bad = httpx.get(base + "/default/userInfo", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401 and bad.json()["title"] == "Unauthorized"
    other = httpx.get(base + "/acme/userInfo", headers={"Authorization": "Bearer sim-token"})
    assert other.status_code == 401 and other.json()["instance"] == "/acme/userInfo"
    resp = as_user("alice").get("/admin/groups")
    assert resp.status_code == 403 and resp.json()["status"] == 403


def test_user_info_and_groups_follow_the_token(littlehorse, as_user):
    admin = littlehorse.get("/userInfo").json()
    assert admin["username"] == "admin" and admin["valid"] is True
    alice = as_user("alice")
    assert alice.get("/userInfo").json()["email"] == "alice@example.com"
    assert alice.get("/groups").json() == {
        "groups": [{"id": GROUPS["finance"], "name": "finance", "valid": True}]
    }
    names = {g["name"] for g in littlehorse.get("/admin/groups").json()["groups"]}
    assert names == {"finance", "support", "legal"}


def test_users_see_their_own_and_their_groups_tasks(as_user):
    alice = as_user("alice")
    tasks = walk(alice, "/tasks", limit=4)[0]
    assert tasks
    for t in tasks:
        mine = t.get("user", {}).get("username") == "alice"
        assert mine or ("user" not in t and t["userGroup"]["name"] == "finance")
    claimable = walk(alice, "/tasks/claimable", user_group_id=GROUPS["finance"], limit=4)[0]
    assert claimable and all(t["status"] == "UNASSIGNED" for t in claimable)
    assert (
        alice.get("/tasks/claimable", params={"user_group_id": "legal", "limit": 5}).status_code
        == 403
    )


def test_claim_then_a_second_claim_conflicts(littlehorse, as_user):
    task = an_unassigned_finance_task(littlehorse)
    path = f"/tasks/{task['wfRunId']}/{task['id']}"
    assert as_user("alice").post(path + "/claim").status_code == 204
    got = littlehorse.get("/admin" + path).json()
    assert got["status"] == "ASSIGNED" and got["user"]["username"] == "alice"
    assert got["events"][-1]["type"] == "TASK_ASSIGNED"
    assert as_user("alice").post(path + "/claim").status_code == 409
    assert as_user("bob").get(path).status_code == 403


def test_complete_validates_typed_results(littlehorse, as_user):
    task = an_unassigned_finance_task(littlehorse)
    path = f"/tasks/{task['wfRunId']}/{task['id']}"
    alice = as_user("alice")
    detail = alice.get(path).json()
    assert {f["type"] for f in detail["fields"]} == {"BOOLEAN", "DOUBLE", "STRING"}
    bad = [
        {
            "approved": {"type": "STRING", "value": "yes"},
            "approved_amount": {"type": "DOUBLE", "value": 1},
        },
        {
            "approved": {"type": "BOOLEAN", "value": "yes"},
            "approved_amount": {"type": "DOUBLE", "value": 1},
        },
        {"approved": {"type": "BOOLEAN", "value": True}},
        {"nope": {"type": "STRING", "value": "x"}},
    ]
    for body in bad:
        resp = alice.post(path + "/result", json=body)
        assert resp.status_code == 400, body
    good = {
        "approved": {"type": "BOOLEAN", "value": True},
        "approved_amount": {"type": "DOUBLE", "value": 12.5},
        "comment": {"type": "STRING", "value": "ok"},
    }
    assert alice.post(path + "/result", json=good).status_code == 204
    done = littlehorse.get("/admin" + path).json()
    assert done["status"] == "DONE" and done["results"] == good
    assert alice.post(path + "/result", json=good).status_code == 412
    assert alice.post(path + "/cancel").status_code == 403


def test_admin_assign_and_cancel(littlehorse):
    task = an_unassigned_finance_task(littlehorse)
    path = f"/admin/tasks/{task['wfRunId']}/{task['id']}"
    assert littlehorse.post(path + "/assign", json={}).status_code == 400
    carol = next(
        u for u in littlehorse.get("/admin/users", params={"username": "carol"}).json()["users"]
    )
    resp = littlehorse.post(path + "/assign", json={"userId": carol["id"], "userGroup": "legal"})
    assert resp.status_code == 204
    got = littlehorse.get(path).json()
    assert got["user"]["id"] == carol["id"] and got["userGroup"]["name"] == "legal"
    event = got["events"][-1]
    assert event["type"] == "TASK_ASSIGNED" and event["event"]["newUserId"] == carol["id"]
    assert littlehorse.post(path + "/cancel").status_code == 204
    assert littlehorse.get(path).json()["events"][-1]["type"] == "TASK_CANCELLED"
    assert littlehorse.post(path + "/cancel").status_code == 403
    assert littlehorse.get(f"/admin/users/{carol['id']}").json() == carol
    assert littlehorse.get("/admin/users/nope").status_code == 404


def test_comments_add_edit_delete_and_204_when_none(littlehorse, as_user):
    task = an_unassigned_finance_task(littlehorse)
    path = f"/tasks/{task['wfRunId']}/{task['id']}"
    alice = as_user("alice")
    assert alice.get(path + "/comments").status_code == 204
    added = alice.post(path + "/comment", json={"comment": "Looking at it"}).json()
    assert added["type"] == "COMMENT_ADDED" and added["event"]["comment"] == "Looking at it"
    cid = added["event"]["commentId"]
    edited = alice.put(f"{path}/comment/{cid}", json={"comment": "Done soon"}).json()
    assert edited["type"] == "COMMENT_EDITED"
    assert [c["event"]["comment"] for c in alice.get(path + "/comments").json()] == ["Done soon"]
    deleted = alice.delete(f"{path}/comment/{cid}").json()
    assert deleted["type"] == "COMMENT_DELETED" and deleted["event"]["commentId"] == cid
    assert alice.get(path + "/comments").status_code == 204
    assert alice.delete(f"{path}/comment/{cid}").status_code == 404
    assert alice.post(path + "/comment", json={}).status_code == 400


def test_unknown_task_is_a_404_problem(littlehorse):
    resp = littlehorse.get("/admin/tasks/nope/nope")
    assert resp.status_code == 404 and resp.json()["status"] == 404


def test_a_failed_workflow_run_cancels_its_open_tasks(littlehorse, control):
    task = an_unassigned_finance_task(littlehorse)
    resp = control.post(f"/_control/littlehorse/instances/{task['wfRunId']}/fail", json={})
    assert resp.status_code == 200
    got = littlehorse.get(f"/admin/tasks/{task['wfRunId']}/{task['id']}").json()
    assert got["status"] == "CANCELLED"
    assert got["events"][-1] == {**got["events"][-1], "type": "TASK_CANCELLED"}
