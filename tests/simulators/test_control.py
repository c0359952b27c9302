"""Control API: health, identities, reset, seeded determinism, acting inside engines, write-backs."""

from __future__ import annotations

from .test_uipath import FOLDER, ORG_UNIT, TASKS, case_tasks


def test_health_lists_every_engine(control, sim):
    body = control.get("/_control/health").json()
    assert body["status"] == "ok" and body["engines"] == sim.urls
    assert set(body["engines"]) == {"uipath", "docusign", "cloudflare", "strategy", "littlehorse"}


def test_identities_give_the_defaults(control):
    body = control.get("/_control/identities").json()
    assert body["token"] == "sim-token"
    assert body["uipath"]["folderKey"] == "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13"
    assert body["uipath"]["organizationUnitId"] == 1001
    assert body["docusign"] == {"accountId": "acc-1", "workflowIds": ["wf-1"]}
    assert body["cloudflare"]["workflows"] == ["approvals"]
    assert (
        body["strategy"]["secret"] == "sim-secret" and len(body["strategy"]["instanceSids"]) == 30
    )
    assert body["littlehorse"]["userTokens"]["alice"] == "sim-token:alice"


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(control, docusign, cloudflare):
    def snapshot():
        return docusign.get("/instances").json()["data"], cloudflare.get("/instances").json()

    control.post("/_control/reset", json={"seed": 5})
    first = snapshot()
    control.post("/_control/reset", json={"seed": 5})
    assert snapshot() == first
    control.post("/_control/reset", json={"seed": 6})
    assert snapshot()[0] != first[0]


def test_reset_with_scale_sets_the_number_of_instances(control, docusign):
    assert control.post("/_control/reset", json={"seed": 1, "scale": 120}).status_code == 200
    assert len(docusign.get("/instances").json()["data"]) == 120
    for engine in ("uipath", "cloudflare", "strategy", "littlehorse"):
        assert control.get(f"/_control/{engine}/instances").json()["count"] == 120
    assert control.post("/_control/reset", json={"scale": 0}).status_code == 400


def test_reset_clears_faults_and_writebacks(control, docusign):
    control.post("/_control/faults", json={"engine": "docusign", "kind": "drop"})
    control.post("/_control/reset", json={})
    assert control.get("/_control/faults").json()["faults"] == []
    assert docusign.get("/instances").status_code == 200


def test_writebacks_record_writes_only_and_can_be_cleared(control, strategy):
    sid = control.get("/_control/strategy/instances").json()["sids"][0]
    strategy.get(f"/execution-instance/{sid}/get-tasks")
    strategy.post(f"/execution-instance/{sid}/pause")
    body = control.get("/_control/strategy/writebacks").json()
    assert body["count"] == 1
    entry = body["writebacks"][0]
    assert entry["method"] == "POST" and entry["path"] == f"/execution-instance/{sid}/pause"
    assert entry["headers"]["authorization"] == "Bearer sim-token"
    assert entry["time"].endswith("Z") and entry["status"] == 200
    assert control.delete("/_control/strategy/writebacks").json() == {"cleared": 1}
    assert control.get("/_control/strategy/writebacks").json()["count"] == 0


def test_a_new_uipath_case_opens_its_first_action_task(control, uipath):
    created = control.post(
        "/_control/uipath/instances", json={"processKey": "VendorOnboarding", "assignee": "bob"}
    ).json()
    assert created["latestRunStatus"] == "Running" and len(created["taskIds"]) == 1
    tasks = case_tasks(uipath, created["instanceId"])["value"]
    assert tasks[0]["AssignedToUser"]["UserName"] == "bob"
    assert tasks[0]["Title"].startswith("Collect vendor documents")
    got = uipath.get(f"/pims_/api/v1/instances/{created['instanceId']}", headers=FOLDER).json()
    assert got["processKey"] == "CaseManagement.VendorOnboarding"


def test_acting_inside_uipath_completes_and_reassigns_tasks_and_fails_cases(control, uipath):
    created = control.post("/_control/uipath/instances", json={}).json()
    iid, tid = created["instanceId"], created["taskIds"][0]
    moved = control.post(f"/_control/uipath/tasks/{tid}/reassign", json={"user": "alice"}).json()
    assert moved["AssignedToUser"]["UserName"] == "alice" and moved["Status"] == "Pending"
    done = control.post(f"/_control/uipath/tasks/{tid}/complete", json={"user": "alice"}).json()
    assert done["Status"] == "Completed"
    assert len(case_tasks(uipath, iid)["value"]) == 2  # the next action stage opened
    failed = control.post(f"/_control/uipath/instances/{iid}/fail").json()
    assert failed["latestRunStatus"] == "Faulted"
    extra = control.post("/_control/uipath/tasks", json={"caseId": iid, "title": "Extra check"})
    assert extra.status_code == 201 and extra.json()["Title"] == "Extra check"
    query = {"$filter": f"Tags/any(t:t/DisplayName eq '{iid}')", "$count": "true"}
    resp = uipath.get(TASKS + "GetTasksAcrossFolders", params=query, headers=ORG_UNIT)
    assert resp.json()["@odata.count"] == 3


def test_acting_inside_cloudflare_and_littlehorse(control, cloudflare, littlehorse):
    task = control.post("/_control/cloudflare/tasks", json={"params": {"title": "Approve"}}).json()
    assert task["status"] == "waiting" and task["params"] == {"title": "Approve"}
    done = control.post(f"/_control/cloudflare/tasks/{task['id']}/complete", json={}).json()
    assert done["status"] == "complete"
    failed = control.post("/_control/cloudflare/instances", json={}).json()
    control.post(f"/_control/cloudflare/instances/{failed['id']}/fail", json={"message": "boom"})
    got = cloudflare.get(f"/instances/{failed['id']}").json()["result"]
    assert got["status"] == "errored" and got["error"]["message"] == "boom"

    lh = control.post("/_control/littlehorse/tasks", json={"type": "review-contract"}).json()
    assert lh["status"] == "UNASSIGNED" and lh["userGroup"]["name"] == "legal"
    tid = lh["taskId"]
    assigned = control.post(f"/_control/littlehorse/tasks/{tid}/assign", json={"user": "carol"})
    assert assigned.json()["user"]["username"] == "carol"
    done = control.post(f"/_control/littlehorse/tasks/{tid}/complete", json={}).json()
    assert done["status"] == "DONE" and done["results"]["approved"]["type"] == "BOOLEAN"
    wf, guid = tid.split("/")
    assert littlehorse.get(f"/admin/tasks/{wf}/{guid}").json()["status"] == "DONE"


def test_acting_inside_docusign_fails_an_instance(control, docusign):
    created = control.post("/_control/docusign/instances", json={}).json()
    failed = control.post(f"/_control/docusign/instances/{created['id']}/fail").json()
    assert failed["workflow_status"] == "Failed"
    resp = docusign.post(f"/instances/{created['id']}/actions/cancel")
    assert resp.status_code == 409


def test_control_errors_are_json(control):
    assert control.get("/_control/nope").status_code == 404
    resp = control.post("/_control/uipath/tasks/999999/complete", json={})
    assert resp.status_code == 404 and resp.json()["error"]


def test_tick_lets_time_pass_in_the_engines(control, docusign, strategy):
    before = {i["id"]: i["last_completed_step"] for i in docusign.get("/instances").json()["data"]}
    event = control.post("/_control/strategy/tasks", json={}).json()
    strategy.post(f"/execution-event/{event['correlationId']}/resume", json={"approved": True})
    moved = control.post("/_control/tick", json={"limit": 2}).json()["moved"]
    assert moved["docusign"] == 2 and moved["strategy"] == 1 and moved["uipath"] >= 1
    after = {i["id"]: i["last_completed_step"] for i in docusign.get("/instances").json()["data"]}
    assert sum(after[k] != before[k] for k in before) == 2
    got = strategy.get(f"/execution-event/{event['sid']}").json()["event"]
    assert got["status"] == "PROCESSED"
