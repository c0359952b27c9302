"""UiPath Maestro case state: case templates, seeded cases, action tasks, and how cases advance."""

from __future__ import annotations

import functools
import uuid

from . import data
from .data import DAY, iso_ms
from .uipath_templates import BY_KEY, TEMPLATES, Template, _sid

ORG, TENANT = "acme", "prod"
# The one folder everything lives in: its key (PIMS `X-UIPATH-FolderKey`) and id
# (Orchestrator `X-UIPATH-OrganizationUnitId`). Fixed so demos and tests can hard-code them.
FOLDER_KEY = "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13"
FOLDER_ID = 1001
FOLDER_NAME = "Shared"
OPEN_CASE = ("Running", "Paused", "Pending", "Faulted")
_NS = uuid.UUID("9a1f0e6c-2b7d-4c3e-8f5a-1d2c3b4a5e6f")


def stage_id(t: Template, k: int) -> str:
    return f"Stage_{_sid(t.key, k)}"


def task_element_id(t: Template, k: int, j: int) -> str:
    return f"Task_{_sid(t.key, k, j)}"


def stage_elements(t: Template, k: int) -> list[tuple[str, str, str]]:
    """(elementId, displayName, task type) of the tasks in stage k; the action task is last."""
    st = t.stages[k]
    out = [(task_element_id(t, k, j), name, typ) for j, (typ, name) in enumerate(st.automated)]
    if st.action:
        out.append((task_element_id(t, k, len(st.automated)), st.action.title, "action"))
    return out


def case_json(t: Template) -> dict:
    """The case definition (`case-json`): a trigger node, one node per stage, edges between them."""
    trigger = {
        "id": "trigger_1",
        "type": "case-management:Trigger",
        "position": {"x": 0, "y": 0},
        "data": {"label": "Case created", "uipath": {"serviceType": "Intsvc.CaseTrigger"}},
    }
    nodes, edges, prev = [trigger], [], "trigger_1"
    for k, st in enumerate(t.stages):
        tasks = []
        for eid, name, typ in stage_elements(t, k):
            task_data = {"name": name}
            if typ == "action":
                task_data.update(
                    {
                        "taskType": st.action.type,
                        "priority": st.action.priority,
                        "recipient": {"type": "group", "value": st.action.group},
                    }
                )
            tasks.append(
                {
                    "id": f"t{_sid(eid)}",
                    "elementId": eid,
                    "displayName": name,
                    "type": typ,
                    "data": task_data,
                }
            )
        sid = stage_id(t, k)
        nodes.append(
            {
                "id": sid,
                "type": "case-management:Stage",
                "position": {"x": 300 * (k + 1), "y": 0},
                "data": {
                    "label": st.name,
                    "sla": {"count": st.sla[0], "unit": st.sla[1], "escalationRule": []},
                    "tasks": [tasks] if tasks else [],
                },
            }
        )
        edges.append(
            {
                "id": f"edge_{prev}-{sid}",
                "source": prev,
                "target": sid,
                "type": "case-management:Edge",
            }
        )
        prev = sid
    root = {
        "id": f"CaseManagement.{t.key}",
        "type": "case-management:root",
        "name": t.name,
        "description": f"{t.name} case",
        "version": "1.0.3",
    }
    return {"root": root, "nodes": nodes, "edges": edges}


def run_id(instance_id: str, *parts: object) -> str:
    return str(uuid.uuid5(_NS, ":".join([instance_id, *map(str, parts)])))


def element_executions(inst: dict) -> dict:
    """Execution history consistent with the instance's current stage and status."""
    t: Template = BY_KEY[inst["_tmpl"]]
    iid, status, times = inst["instanceId"], inst["latestRunStatus"], inst["_times"]
    current = inst["_stage"]
    open_status = {
        "Running": "InProgress",
        "Pending": "InProgress",
        "Paused": "Paused",
        "Faulted": "Faulted",
        "Cancelled": "Cancelled",
    }.get(status, "Completed")
    execs = []
    for k, (start, end) in enumerate(times):
        done = end is not None
        st_status = "Completed" if done else open_status
        sid = stage_id(t, k)
        execs.append(_execution(iid, sid, t.stages[k].name, "Stage", st_status, start, end, None))
        for eid, name, typ in stage_elements(t, k):
            is_action = typ == "action"
            t_done = done or not is_action
            t_end = end if done else (start + 600 if t_done else None)
            t_status = "Completed" if t_done else open_status
            execs.append(_execution(iid, eid, name, typ, t_status, start, t_end, sid))
    return {
        "instanceId": iid,
        "folderKey": inst["folderKey"],
        "status": status,
        "startedTimeUtc": inst["startedTimeUtc"],
        "completedTimeUtc": inst["completedTimeUtc"],
        "processKey": inst["processKey"],
        "elementExecutions": execs,
        "currentStageId": stage_id(t, current) if 0 <= current < len(t.stages) else None,
    }


def _execution(iid, eid, name, typ, status, start, end, parent) -> dict:
    rid = run_id(iid, eid)
    return {
        "elementId": eid,
        "elementName": name,
        "elementType": typ,
        "status": status,
        "startedTimeUtc": iso_ms(start),
        "completedTimeUtc": iso_ms(end),
        "parentElementId": parent,
        "externalLink": f"https://cloud.uipath.com/{ORG}/{TENANT}/maestro_/cases/{iid}#{eid}",
        "elementRuns": [
            {
                "elementRunId": rid,
                "status": status,
                "startedTimeUtc": iso_ms(start),
                "completedTimeUtc": iso_ms(end),
                "parentElementRunId": run_id(iid, parent) if parent else None,
            }
        ],
    }


@functools.cache  # shared between tasks: assignment replaces it, never mutates it
def user_json(p: data.Person) -> dict:
    return {
        "Id": p.uid,
        "Name": p.first,
        "Surname": p.last,
        "UserName": p.username,
        "EmailAddress": p.email,
        "DisplayName": p.name,
    }


def activity(
    task_id: int, kind: str, ts: float, by: data.Person, target: data.Person | None = None
):
    return {
        "OrganizationUnitId": FOLDER_ID,
        "TargetUserId": target.uid if target else None,
        "TaskId": task_id,
        "ActivityType": kind,
        "CreatorUserId": by.uid,
        "CreationTime": iso_ms(ts),
    }


def new_task(
    tid, inst, k, ts, rng_bits: int, assignee: data.Person | None, customer, amount
) -> dict:
    """An open Orchestrator action task for stage k of a case, tagged with the case id."""
    t: Template = BY_KEY[inst["_tmpl"]]
    act = t.stages[k].action
    iid = inst["instanceId"]
    eid = stage_elements(t, k)[-1][0]
    task = {
        "Id": tid,
        "Title": f"{act.title}: {inst['instanceDisplayName']}",
        "Status": "Pending" if assignee else "Unassigned",
        "Priority": act.priority,
        "Type": act.type,
        "OrganizationUnitId": FOLDER_ID,
        "OrganizationUnitFullyQualifiedName": FOLDER_NAME,
        "Key": str(uuid.UUID(int=rng_bits, version=4)),
        "IsDeleted": False,
        "CreationTime": iso_ms(ts),
        "LastAssignedTime": iso_ms(ts + 300) if assignee else None,
        "CompletionTime": None,
        "LastModificationTime": iso_ms(ts + 300 if assignee else ts),
        "IsCompleted": False,
        "Action": None,
        "ExternalTag": f"{iid}:{eid}",
        "FormLayoutId": 7000 + k if act.type == "FormTask" else None,
        "TaskSlaDetail": {
            "ExpiryTime": iso_ms(ts + 2 * DAY),
            "Status": "OverdueLater",
        },  # (inferred)
        "TaskAssigneeName": assignee.username if assignee else None,
        "AssignedToUser": user_json(assignee) if assignee else None,
        "TaskCatalogName": act.group,  # the group hint (inferred: catalog named after the team)
        "Tags": [{"Name": iid, "DisplayName": iid, "DisplayValue": iid}],
        "Data": {
            "caseNumber": inst["instanceDisplayName"],
            "customer": customer,
            "amount": amount,
            "requestedBy": inst["startedByUser"],
        },
        "Activities": [activity(tid, "Created", ts, data.ADMIN)],
        "_case": iid,
        "_stage": k,
    }
    if assignee:
        task["Activities"].append(activity(tid, "Assigned", ts + 300, data.ADMIN, assignee))
    return task


def new_instance(rng, n: int, started: float, status: str, tmpl: Template | None = None) -> dict:
    """A case instance in `status`, its stage chosen to fit (open work sits on an action stage)."""
    t = tmpl or rng.choice(TEMPLATES)
    starter = rng.choice(data.STAFF)
    iid, run = data.uuid4(rng), data.uuid4(rng)
    nst = len(t.stages)
    action_stages = [k for k, s in enumerate(t.stages) if s.action]
    if status == "Completed":
        current = nst
    elif status == "Pending":
        current = -1
    elif status in ("Running", "Paused"):
        current = rng.choice(action_stages)
    else:
        current = rng.randrange(nst)
    span = 4 * 3600.0
    times = [[started + k * span, started + (k + 1) * span] for k in range(max(current, 0))]
    if 0 <= current < nst:
        times.append([started + current * span, None])
    ended = started + nst * span if status == "Completed" else None
    if status == "Cancelled":
        ended = started + (current + 0.5) * span
    elif status == "Faulted":
        ended = None
    updated = ended or (started + (max(current, 0) + 0.25) * span)
    return {
        "instanceId": iid,
        "packageKey": f"CaseManagement.{t.key}",
        "packageId": f"CaseManagement.{t.key}",
        "packageVersion": "1.0.3",
        "latestRunId": run,
        "latestRunStatus": status,
        "processKey": f"CaseManagement.{t.key}",
        "folderKey": FOLDER_KEY,
        "userId": starter.uid,
        "instanceDisplayName": f"{t.name} #{10000 + n}",
        "startedByUser": starter.email,
        "source": "Manual",
        "creatorUserKey": starter.guid,
        "startedTimeUtc": iso_ms(started),
        "completedTimeUtc": iso_ms(ended),
        "instanceRuns": [
            {
                "runId": run,
                "status": status,
                "startedTime": iso_ms(started),
                "completedTime": iso_ms(ended),
            }
        ],
        "createdAt": iso_ms(started),
        "updatedAt": iso_ms(updated),
        "externalId": f"CASE-{10000 + n}",
        "_tmpl": t.key,
        "_stage": current,
        "_times": times,
    }


def set_status(inst: dict, status: str, ts: float, ended: bool = False) -> None:
    inst["latestRunStatus"] = status
    inst["instanceRuns"][-1]["status"] = status
    inst["updatedAt"] = iso_ms(ts)
    if ended:
        inst["completedTimeUtc"] = inst["instanceRuns"][-1]["completedTime"] = iso_ms(ts)
