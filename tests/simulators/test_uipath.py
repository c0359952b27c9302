"""UiPath simulator: Maestro case instances (pims_) and Orchestrator action tasks."""

from __future__ import annotations

from .conftest import FOLDER_ID, FOLDER_KEY

FOLDER = {"X-UIPATH-FolderKey": FOLDER_KEY}
ORG_UNIT = {"X-UIPATH-OrganizationUnitId": FOLDER_ID}
TASKS = "/orchestrator_/odata/Tasks/UiPath.Server.Configuration.OData."
INSTANCE_FIELDS = {
    "instanceId",
    "packageKey",
    "packageId",
    "packageVersion",
    "latestRunId",
    "latestRunStatus",
    "processKey",
    "folderKey",
    "userId",
    "instanceDisplayName",
    "startedByUser",
    "source",
    "creatorUserKey",
    "startedTimeUtc",
    "completedTimeUtc",
    "instanceRuns",
}


def all_instances(uipath, page_size=7):
    seen, token, pages = [], None, 0
    while True:
        params = {"processType": "CaseManagement", "pageSize": page_size}
        if token:
            params["nextPage"] = token
        body = uipath.get("/pims_/api/v1/instances", params=params).json()
        seen += body["instances"]
        pages += 1
        token = body["nextPage"]
        if not token:
            return seen, pages


def case_tasks(uipath, case_id, **params):
    query = {
        "$filter": f"Tags/any(tags:tags/DisplayName eq '{case_id}') and (IsDeleted eq false)",
        "$expand": "AssignedToUser,Activities",
        "$count": "true",
        **params,
    }
    resp = uipath.get(TASKS + "GetTasksAcrossFolders", params=query, headers=ORG_UNIT)
    assert resp.status_code == 200, resp.text
    return resp.json()


def open_case(uipath, status="Running"):
    """A case whose current stage has an open action task."""
    for inst in all_instances(uipath, 100)[0]:
        if inst["latestRunStatus"] == status:
            tasks = case_tasks(uipath, inst["instanceId"])["value"]
            if any(t["Status"] != "Completed" for t in tasks):
                return inst, tasks
    raise AssertionError("no open case")


def test_it_pages_instances_with_next_page_tokens(uipath):
    items, pages = all_instances(uipath, 7)
    ids = [i["instanceId"] for i in items]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert pages == 5
    assert set(items[0]) >= INSTANCE_FIELDS
    statuses = {i["latestRunStatus"] for i in items}
    assert {"Running", "Completed", "Paused", "Faulted", "Cancelled", "Pending"} <= statuses


def test_it_rejects_a_page_size_outside_1_to_1000_with_a_pims_error(uipath):
    resp = uipath.get("/pims_/api/v1/instances", params={"pageSize": 0})
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == "PIMS-150001" and body["status"] == 400 and body["traceId"]
    assert "pageSize" in body["errors"]


def test_it_requires_a_bearer_token(sim):
    import httpx

    resp = httpx.get(sim.urls["uipath"] + "/acme/prod/pims_/api/v1/instances")
    assert resp.status_code == 401 and resp.json()["status"] == 401
    resp = httpx.get(
        sim.urls["uipath"] + "/acme/prod/orchestrator_/odata/Tasks/"
        "UiPath.Server.Configuration.OData.GetTasksAcrossFolders",
        headers={"Authorization": "Bearer wrong", **ORG_UNIT},
    )
    assert resp.status_code == 401
    assert set(resp.json()) == {"message", "errorCode", "traceId"}


def test_it_needs_the_folder_key_on_per_instance_calls(uipath):
    iid = all_instances(uipath)[0][0]["instanceId"]
    resp = uipath.get(f"/pims_/api/v1/instances/{iid}")
    assert resp.status_code == 400 and "X-UIPATH-FolderKey" in resp.json()["errors"]
    resp = uipath.get(f"/pims_/api/v1/instances/{iid}", headers=FOLDER)
    assert resp.status_code == 200 and resp.json()["instanceId"] == iid
    wrong = {"X-UIPATH-FolderKey": "00000000-0000-4000-8000-000000000000"}
    assert uipath.get(f"/pims_/api/v1/instances/{iid}", headers=wrong).status_code == 404


def test_unknown_org_is_not_found(sim):
    import httpx

    url = sim.urls["uipath"] + "/other/prod/pims_/api/v1/instances"
    assert httpx.get(url, headers={"Authorization": "Bearer sim-token"}).status_code == 404


def test_case_json_and_element_executions_agree(uipath):
    inst, tasks = open_case(uipath)
    iid = inst["instanceId"]
    case = uipath.get(f"/pims_/api/v1/cases/{iid}/case-json", headers=FOLDER).json()
    stages = [n for n in case["nodes"] if n["type"] != "case-management:Trigger"]
    assert case["root"]["name"] and case["edges"]
    assert all(n["data"]["label"] and n["data"]["sla"]["unit"] in "hdwm" for n in stages)
    hist = uipath.get(f"/pims_/api/v1/element-executions/case-instances/{iid}", headers=FOLDER)
    hist = hist.json()
    assert hist["instanceId"] == iid and hist["status"] == "Running"
    by_id = {e["elementId"]: e for e in hist["elementExecutions"]}
    stage_status = [by_id.get(n["id"], {}).get("status", "Not Started") for n in stages]
    # Completed stages, then exactly one in progress, then stages not started.
    assert "InProgress" in stage_status
    k = stage_status.index("InProgress")
    assert all(s == "Completed" for s in stage_status[:k])
    assert all(s == "Not Started" for s in stage_status[k + 1 :])
    open_task = next(t for t in tasks if t["Status"] != "Completed")
    action_el = open_task["ExternalTag"].split(":")[1]
    assert by_id[action_el]["status"] == "InProgress"
    assert by_id[action_el]["parentElementId"] == stages[k]["id"]
    task_ids = {t["elementId"] for group in stages[k]["data"]["tasks"] for t in group}
    assert action_el in task_ids


def test_action_tasks_are_tagged_with_their_case_and_pascal_cased(uipath):
    inst, tasks = open_case(uipath)
    task = tasks[-1]
    assert task["Tags"][0]["DisplayName"] == inst["instanceId"]
    for field in (
        "Id",
        "Title",
        "Status",
        "Priority",
        "Type",
        "OrganizationUnitId",
        "Key",
        "IsDeleted",
        "CreationTime",
        "LastModificationTime",
        "IsCompleted",
        "AssignedToUser",
        "Activities",
        "TaskCatalogName",
    ):
        assert field in task
    assert task["Status"] in ("Unassigned", "Pending")
    assert task["Priority"] in ("Low", "Medium", "High", "Critical")
    assert task["Type"] in ("FormTask", "ExternalTask", "AppTask")
    assert task["TaskCatalogName"] in ("finance", "support", "legal")
    assert task["CreationTime"].endswith("Z")


def test_it_pages_tasks_with_top_skip_and_count(uipath):
    first = uipath.get(TASKS + "GetTasksAcrossFolders", params={"$count": "true"}, headers=ORG_UNIT)
    total = first.json()["@odata.count"]
    assert total >= 30
    seen = []
    for skip in range(0, total, 8):
        params = {"$top": 8, "$skip": skip, "$count": "true", "$orderby": "Id asc"}
        page = uipath.get(TASKS + "GetTasksAcrossFoldersForAdmin", params=params, headers=ORG_UNIT)
        assert page.json()["@odata.count"] == total
        seen += [t["Id"] for t in page.json()["value"]]
    assert len(seen) == total == len(set(seen))


def test_it_filters_tasks_by_last_modification_time(uipath, control):
    inst, tasks = open_case(uipath)
    task = next(t for t in tasks if t["Status"] != "Completed")
    mark = "2026-06-01T00:00:00Z"
    query = {"$filter": f"LastModificationTime gt {mark}", "$count": "true"}
    before = uipath.get(TASKS + "GetTasksAcrossFolders", params=query, headers=ORG_UNIT).json()
    assert before["@odata.count"] == 0
    control.post(f"/_control/uipath/tasks/{task['Id']}/reassign", json={"user": "carol"})
    after = uipath.get(TASKS + "GetTasksAcrossFolders", params=query, headers=ORG_UNIT).json()
    assert [t["Id"] for t in after["value"]] == [task["Id"]]


def test_the_organization_unit_header_is_required_to_complete_and_checked_when_sent(uipath):
    # The official SDK sends no folder header when listing across folders or assigning.
    assert uipath.get(TASKS + "GetTasksAcrossFolders").status_code == 200
    wrong = {"X-UIPATH-OrganizationUnitId": "9"}
    resp = uipath.get(TASKS + "GetTasksAcrossFolders", headers=wrong)
    assert resp.status_code == 400 and resp.json()["errorCode"] == 1100
    resp = uipath.post("/orchestrator_/tasks/GenericTasks/CompleteTask", json={"taskId": 5001})
    assert resp.status_code == 400 and resp.json()["errorCode"] == 1101
    assert resp.json()["message"] == "A folder is required for this action."


def test_request_bodies_bind_case_insensitively_like_aspnet(uipath):
    inst, tasks = open_case(uipath)
    tid = next(t for t in tasks if t["Status"] != "Completed")["Id"]
    body = {"TaskAssignments": [{"TaskId": tid, "UserNameOrEmail": "carol"}]}  # the SDK's casing
    assert uipath.post(TASKS + "AssignTasks", json=body).json()["value"] == []
    task = uipath.get(f"/orchestrator_/odata/Tasks({tid})", params={"$expand": "AssignedToUser"})
    assert task.json()["AssignedToUser"]["UserName"] == "carol"


def test_type_specific_getters_answer_in_camel_case(uipath):
    inst, tasks = open_case(uipath)
    task = next(t for t in tasks if t["Status"] != "Completed")
    path = {
        "FormTask": "/orchestrator_/forms/TaskForms/GetTaskFormById",
        "ExternalTask": "/orchestrator_/tasks/GenericTasks/GetTaskDataById",
        "AppTask": "/orchestrator_/tasks/AppTasks/GetAppTaskById",
    }[task["Type"]]
    got = uipath.get(path, params={"taskId": task["Id"]}, headers=ORG_UNIT).json()
    assert got["id"] == task["Id"] and got["organizationUnitId"] == 1001
    assert got["data"]["caseNumber"] == task["Data"]["caseNumber"]


def test_an_unsupported_filter_is_an_odata_error(uipath):
    resp = uipath.get(
        TASKS + "GetTasksAcrossFolders", params={"$filter": "foo(bar)"}, headers=ORG_UNIT
    )
    assert resp.status_code == 400 and "not valid" in resp.json()["message"]


def complete_path(task_type):
    return {
        "FormTask": "/orchestrator_/forms/TaskForms/CompleteTask",
        "ExternalTask": "/orchestrator_/tasks/GenericTasks/CompleteTask",
        "AppTask": "/orchestrator_/tasks/AppTasks/CompleteAppTask",
    }[task_type]


def test_completing_an_action_task_moves_the_case_to_its_next_stage(uipath, sim):
    inst, tasks = open_case(uipath)
    iid = inst["instanceId"]
    task = next(t for t in tasks if t["Status"] != "Completed")
    hist = uipath.get(f"/pims_/api/v1/element-executions/case-instances/{iid}", headers=FOLDER)
    running_before = [
        e["elementId"]
        for e in hist.json()["elementExecutions"]
        if e["elementType"] == "Stage" and e["status"] == "InProgress"
    ]
    body = {"taskId": task["Id"], "data": {"reviewNotes": "fine"}, "action": "approve"}
    resp = uipath.post(complete_path(task["Type"]), json=body, headers=ORG_UNIT)
    assert resp.status_code == 204, resp.text
    after = case_tasks(uipath, iid)["value"]
    done = next(t for t in after if t["Id"] == task["Id"])
    assert done["Status"] == "Completed" and done["IsCompleted"] and done["Action"] == "approve"
    assert done["Data"]["reviewNotes"] == "fine"
    hist = uipath.get(f"/pims_/api/v1/element-executions/case-instances/{iid}", headers=FOLDER)
    stages = {
        e["elementId"]: e["status"]
        for e in hist.json()["elementExecutions"]
        if e["elementType"] == "Stage"
    }
    assert stages[running_before[0]] == "Completed"
    status = uipath.get(f"/pims_/api/v1/instances/{iid}", headers=FOLDER).json()["latestRunStatus"]
    new_open = [t for t in after if not t["IsCompleted"]]
    if status == "Running":  # the next action stage opened a new task
        assert len(new_open) == 1 and new_open[0]["Status"] == "Unassigned"
    else:
        assert status == "Completed" and not new_open
    wb = sim.writebacks("uipath")
    assert wb[-1]["body"] == body and wb[-1]["headers"]["x-uipath-organizationunitid"] == "1001"


def test_completing_twice_or_with_the_wrong_endpoint_fails(uipath):
    inst, tasks = open_case(uipath)
    task = next(t for t in tasks if t["Status"] != "Completed")
    wrong = next(
        p
        for k, p in [
            ("FormTask", complete_path("AppTask")),
            ("AppTask", complete_path("FormTask")),
            ("ExternalTask", complete_path("FormTask")),
        ]
        if k == task["Type"]
    )
    assert uipath.post(wrong, json={"taskId": task["Id"]}, headers=ORG_UNIT).status_code == 400
    path = complete_path(task["Type"])
    assert uipath.post(path, json={"taskId": task["Id"]}, headers=ORG_UNIT).status_code == 204
    again = uipath.post(path, json={"taskId": task["Id"]}, headers=ORG_UNIT)
    assert again.status_code == 400 and again.json()["message"] == "Task is already completed."
    missing = uipath.post(path, json={"taskId": 999999}, headers=ORG_UNIT)
    assert missing.status_code == 404


def test_assign_reassign_and_unassign_tasks(uipath):
    inst, tasks = open_case(uipath)
    tid = next(t for t in tasks if t["Status"] != "Completed")["Id"]
    body = {"taskAssignments": [{"TaskId": tid, "UserNameOrEmail": "alice@example.com"}]}
    resp = uipath.post(TASKS + "AssignTasks", json=body, headers=ORG_UNIT)
    assert resp.status_code == 200 and resp.json()["value"] == []
    task = next(t for t in case_tasks(uipath, inst["instanceId"])["value"] if t["Id"] == tid)
    assert task["Status"] == "Pending" and task["AssignedToUser"]["UserName"] == "alice"
    body = {"taskAssignments": [{"TaskId": tid, "UserId": 12}, {"TaskId": tid, "UserId": 999}]}
    resp = uipath.post(TASKS + "ReassignTasks", json=body, headers=ORG_UNIT)
    assert [f["UserId"] for f in resp.json()["value"]] == [999]
    task = next(t for t in case_tasks(uipath, inst["instanceId"])["value"] if t["Id"] == tid)
    assert task["AssignedToUser"]["EmailAddress"] == "bob@example.com"
    resp = uipath.post(TASKS + "UnassignTasks", json={"taskIds": [tid]}, headers=ORG_UNIT)
    assert resp.status_code == 200
    task = next(t for t in case_tasks(uipath, inst["instanceId"])["value"] if t["Id"] == tid)
    assert task["Status"] == "Unassigned" and task["AssignedToUser"] is None


def test_pause_resume_and_close_change_the_instance_status(uipath):
    inst, _ = open_case(uipath)
    base = f"/pims_/api/v1/instances/{inst['instanceId']}"
    resp = uipath.post(base + "/pause", json={"comment": "hold"}, headers=FOLDER)
    assert resp.json() == {"instanceId": inst["instanceId"], "status": "Paused"}
    assert uipath.post(base + "/pause", json={}, headers=FOLDER).status_code == 400
    assert uipath.post(base + "/resume", json={}, headers=FOLDER).json()["status"] == "Running"
    assert uipath.post(base + "/cancel", json={}, headers=FOLDER).json()["status"] == "Cancelled"
    got = uipath.get(base, headers=FOLDER).json()
    assert got["latestRunStatus"] == "Cancelled" and got["completedTimeUtc"]
    assert case_tasks(uipath, inst["instanceId"])["value"] == [
        t for t in case_tasks(uipath, inst["instanceId"])["value"] if t["IsCompleted"]
    ]
    resp = uipath.post(base + "/cancel", json={}, headers=FOLDER)
    assert resp.status_code == 400 and resp.json()["status"] == 400


def test_without_expand_navigation_properties_are_left_out(uipath):
    resp = uipath.get(TASKS + "GetTasksAcrossFolders", params={"$top": 1}, headers=ORG_UNIT)
    task = resp.json()["value"][0]
    assert "AssignedToUser" not in task and "Activities" not in task
