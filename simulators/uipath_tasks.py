"""UiPath Orchestrator action-task routes: OData queries, completion, assignment."""

from __future__ import annotations

from . import data, odata
from . import uipath_model as m
from .core import JSON, ApiError, Request, Response, ci, encode, route
from .data import iso_ms

P = r"/(?P<org>[^/]+)/(?P<tenant>[^/]+)"
ODATA_TASKS = P + "/orchestrator_/odata/Tasks/UiPath.Server.Configuration.OData."
# The upstream README lists the org-unit header on Orchestrator task calls, but UiPath's official
# TypeScript SDK sends none on GetTasksAcrossFolders, Tasks(id) and Assign/Reassign/UnassignTasks
# (they work across folders), so there it is checked only when present. CompleteTask and the
# type-specific getters require it, as the SDK always sends it there.
REQUIRE_ORG_UNIT_ON_LIST = False
COMPLETE_ROUTES = {
    "tasks/GenericTasks/CompleteTask": ("ExternalTask",),
    "forms/TaskForms/CompleteTask": ("FormTask",),
    "tasks/AppTasks/CompleteAppTask": ("AppTask",),
}


def camel(obj):
    """PascalCase keys to camelCase, recursively (task `Data` keys are the form's own; kept)."""
    if isinstance(obj, list):
        return [camel(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    return {k[:1].lower() + k[1:]: v if k == "Data" else camel(v) for k, v in obj.items()}


TYPE_GETTERS = {
    "forms/TaskForms/GetTaskFormById": ("FormTask",),
    "tasks/GenericTasks/GetTaskDataById": ("ExternalTask",),
    "tasks/AppTasks/GetAppTaskById": ("AppTask",),
}


class UiPathTasks:
    """Mixed into the UiPath engine (uses its state, `_folder` and `complete_task`)."""

    def task_json(self, task: dict, expand: set[str]) -> dict:
        out = self.public(task)
        if "assignedtouser" not in expand:
            out.pop("AssignedToUser")
        if "activities" not in expand:
            out.pop("Activities")
        return out

    @route("GET", ODATA_TASKS + r"(?P<fn>GetTasksAcrossFolders(?:ForAdmin)?)")
    def list_tasks(self, req: Request) -> Response:
        self._folder(req, REQUIRE_ORG_UNIT_ON_LIST)
        tag, preds = odata.parse_filter(req.q("$filter"))
        top = req.q_int("$top", 1000, 0, 10**6)
        if top > 1000:
            raise ApiError(400, "The limit of '1000' for Top query has been exceeded.")
        skip = req.q_int("$skip", 0)
        key, reverse = odata.order_key(req.q("$orderby"))

        def matching() -> list[dict]:
            ids = self.tasks_by_case.get(tag, []) if tag is not None else self.task_order
            found = [t for t in (self.tasks[i] for i in ids) if all(p(t) for p in preds)]
            if req.q("$orderby"):
                found.sort(key=key, reverse=reverse)
            return found

        expand = {e.strip().lower() for e in (req.q("$expand") or "").split(",")}
        count = (req.q("$count") or "").lower() == "true"

        def encoded() -> bytes:
            found = self.cached(("tasks", tag, req.q("$filter"), req.q("$orderby")), matching)
            body = {"@odata.context": f"{self._base(req)}/odata/$metadata#Tasks"}
            if count:
                body["@odata.count"] = len(found)
            body["value"] = [self.task_json(t, expand) for t in found[skip : skip + top]]
            return encode(body)

        page_key = ("tasks", self._base(req), tag, req.q("$filter"), req.q("$orderby"))
        page_key += (tuple(sorted(expand)), count, skip, top)
        return Response(200, self.cached_page(page_key, encoded), {"Content-Type": JSON})

    @route("GET", P + r"/orchestrator_/odata/Tasks\((?P<id>\d+)\)")
    def get_task(self, req: Request) -> Response:
        self._folder(req, REQUIRE_ORG_UNIT_ON_LIST)
        expand = {e.strip().lower() for e in (req.q("$expand") or "").split(",")}
        return Response.json(self.task_json(self._task(req.params["id"]), expand))

    @route("GET", P + r"/orchestrator_/(?P<kind>" + "|".join(TYPE_GETTERS) + ")")
    def get_typed_task(self, req: Request) -> Response:
        """The type-specific getters the SDK's getById follows up with.

        Unlike OData these are plain ASP.NET endpoints: camelCase names (the SDK does not convert
        their keys, while it does convert OData's PascalCase); the field set is inferred.
        """
        self._folder(req)
        task = self._task(req.q("taskId"))
        if task["Type"] not in TYPE_GETTERS[req.params["kind"]]:
            raise ApiError(400, f"Task {task['Id']} is a {task['Type']}.", code=2404)
        out = self.task_json(task, {"assignedtouser", "activities"})
        if task["Type"] == "FormTask":
            out["FormLayout"] = {
                "components": [{"key": k, "type": "textfield"} for k in task["Data"]]
            }
        return Response.json(camel(out))

    def _base(self, req: Request) -> str:
        return f"/{req.params['org']}/{req.params['tenant']}/orchestrator_"

    def _task(self, raw) -> dict:
        try:
            task = self.tasks.get(int(raw))
        except (TypeError, ValueError):
            raise ApiError(400, "taskId must be an integer.", code=0) from None
        if task is None or task["IsDeleted"]:
            raise ApiError(404, "Task does not exist.", code=2400)  # (inferred) error code
        return task

    @route("POST", P + r"/orchestrator_/(?P<kind>" + "|".join(COMPLETE_ROUTES) + ")")
    def complete(self, req: Request) -> Response:
        self._folder(req)
        body = ci(req.json_object())
        if "taskid" not in body:
            raise ApiError(400, "The taskId field is required.", code=0)
        task = self._task(body["taskid"])
        if task["Type"] not in COMPLETE_ROUTES[req.params["kind"]]:
            msg = f"Task {task['Id']} is a {task['Type']}; use its own completion endpoint."
            raise ApiError(400, msg, code=2404)  # (inferred)
        if task["IsCompleted"]:
            raise ApiError(400, "Task is already completed.", code=2409)  # (inferred)
        values = body.get("data") or {}
        if not isinstance(values, dict):
            raise ApiError(400, "data must be an object.", code=0)
        self.complete_task(task, body.get("action"), values, data.ADMIN)
        return Response.empty(204)

    @route("POST", ODATA_TASKS + r"(?P<fn>AssignTasks|ReassignTasks|UnassignTasks)")
    def assign(self, req: Request) -> Response:
        self._folder(req, REQUIRE_ORG_UNIT_ON_LIST)
        body, failed, ts = ci(req.json_object()), [], data.now()
        if req.params["fn"] == "UnassignTasks":
            items = [{"taskid": t} for t in body.get("taskids") or []]
        else:
            items = body.get("taskassignments") or []
        if not isinstance(items, list) or not items:
            raise ApiError(400, "No tasks were given.", code=0)
        for item in items:
            item = ci(item) if isinstance(item, dict) else {}
            tid = item.get("taskid")
            task = self.tasks.get(tid) if isinstance(tid, int) else None
            who = None
            if req.params["fn"] != "UnassignTasks":
                who = data.find_person(item.get("userid")) or data.find_person(
                    item.get("usernameoremail")
                )
            error = None
            if task is None or task["IsDeleted"]:
                error = (2400, "Task does not exist.")
            elif task["IsCompleted"]:
                error = (2409, "Task is already completed.")
            elif req.params["fn"] != "UnassignTasks" and who is None:
                error = (1003, "User does not exist.")
            if error:
                failed.append(
                    {
                        "TaskId": tid,
                        "UserId": item.get("userid"),
                        "ErrorCode": error[0],
                        "ErrorMessage": error[1],
                        "UserNameOrEmail": item.get("usernameoremail"),
                    }
                )
                continue
            self.assign_task(task, who, ts)
        return Response.json(
            {
                "@odata.context": f"{self._base(req)}/odata/$metadata#Collection"
                "(UiPath.Application.Dto.TaskAssignmentResponseDto)",
                "value": failed,
            }
        )

    def assign_task(self, task: dict, who: data.Person | None, ts: float) -> None:
        old = task["AssignedToUser"]
        kind = "Unassigned" if who is None else ("Reassigned" if old else "Assigned")
        task["AssignedToUser"] = m.user_json(who) if who else None
        task["TaskAssigneeName"] = who.username if who else None
        task["Status"] = "Pending" if who else "Unassigned"
        task["LastModificationTime"] = iso_ms(ts)
        if who:
            task["LastAssignedTime"] = iso_ms(ts)
        task["Activities"].append(m.activity(task["Id"], kind, ts, data.ADMIN, who))
