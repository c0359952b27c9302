"""DocuSign simulator: Maestro workflow instances list, get, cancel, progress."""

from __future__ import annotations

import httpx

FIELDS = {
    "id",
    "name",
    "workflow_status",
    "template_id",
    "account_id",
    "started_at",
    "started_by",
    "started_by_name",
    "started_by_role",
    "ended_at",
    "expires_at",
    "last_modified_at",
    "canceled_at",
    "canceled_by",
    "trigger_inputs",
    "total_steps",
    "last_completed_step",
    "last_completed_step_name",
    "tags",
    "metadata",
}


def test_it_lists_every_instance_in_one_response_with_metadata(docusign):
    resp = docusign.get("/instances")
    assert resp.status_code == 200
    body = resp.json()
    assert len(body["data"]) == 30 and len({i["id"] for i in body["data"]}) == 30
    assert set(body["response_metadata"]) == {
        "page_limit",
        "request_id",
        "response_timestamp",
        "response_duration_ms",
    }
    assert set(body["data"][0]) == FIELDS
    statuses = {i["workflow_status"] for i in body["data"]}
    assert {"In Progress", "Completed", "Canceled", "Failed", "Created"} <= statuses


def test_it_gets_one_instance(docusign):
    first = docusign.get("/instances").json()["data"][0]
    got = docusign.get(f"/instances/{first['id']}").json()
    assert got == first
    assert got["account_id"] == "acc-1" and got["started_at"].endswith("Z")


def test_missing_and_wrong_tokens_get_problem_json(sim):
    url = sim.urls["docusign"] + "/v1/accounts/acc-1/workflows/wf-1/instances"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        resp = httpx.get(url, headers=headers)
        assert resp.status_code == 401
        assert resp.headers["content-type"] == "application/problem+json"
        body = resp.json()
        assert body["status"] == 401 and body["title"] == "Unauthorized"
        assert body["errors"][0]["code"] == "AUTHORIZATION_INVALID_TOKEN"


def test_another_account_is_forbidden_and_unknown_ids_are_not_found(sim):
    auth = {"Authorization": "Bearer sim-token"}
    base = sim.urls["docusign"] + "/v1/accounts"
    assert httpx.get(f"{base}/acc-2/workflows/wf-1/instances", headers=auth).status_code == 403
    assert httpx.get(f"{base}/acc-1/workflows/wf-9/instances", headers=auth).status_code == 404
    resp = httpx.get(f"{base}/acc-1/workflows/wf-1/instances/nope", headers=auth)
    assert resp.status_code == 404 and resp.json()["detail"]


def test_cancel_ends_a_running_instance_and_then_conflicts(docusign, sim):
    inst = next(
        i
        for i in docusign.get("/instances").json()["data"]
        if i["workflow_status"] == "In Progress"
    )
    resp = docusign.post(f"/instances/{inst['id']}/actions/cancel")
    assert resp.status_code == 200
    assert inst["id"] in resp.json()["message"] and "wf-1" in resp.json()["message"]
    got = docusign.get(f"/instances/{inst['id']}").json()
    assert got["workflow_status"] == "Canceled" and got["canceled_at"] and got["ended_at"]
    again = docusign.post(f"/instances/{inst['id']}/actions/cancel")
    assert again.status_code == 409 and again.json()["status"] == 409
    writes = sim.writebacks("docusign")
    assert [w["path"].rsplit("/", 2)[-2:] for w in writes] == [["actions", "cancel"]] * 2
    assert [w["status"] for w in writes] == [200, 409]


def test_instances_progress_step_by_step_until_completed(docusign, control):
    created = control.post("/_control/docusign/instances", json={}).json()
    assert created["workflow_status"] == "In Progress"
    iid = created["id"]
    steps = []
    while True:
        resp = control.post(f"/_control/docusign/instances/{iid}/advance")
        if resp.status_code == 409:
            break
        steps.append(resp.json()["last_completed_step"])
    got = docusign.get(f"/instances/{iid}").json()
    assert got["workflow_status"] == "Completed"
    assert got["last_completed_step"] == got["total_steps"] == steps[-1]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)


def test_workflow_pause_and_resume(docusign):
    assert docusign.post("/actions/pause").json() == {"is_paused": True}
    assert docusign.post("/actions/resume").json() == {"is_paused": False}
