"""UiPath: Maestro case instances (`pims_`) and Orchestrator action tasks (`orchestrator_`)."""

from __future__ import annotations

from . import data
from . import uipath_model as m
from .core import (
    JSON,
    PROBLEM_JSON,
    ApiError,
    Engine,
    Request,
    Response,
    encode,
    route,
    trace_id,
)
from .data import iso_ms
from .uipath_control import UiPathControl
from .uipath_tasks import UiPathTasks
from .uipath_templates import STATUS_WEIGHTS

P = r"/(?P<org>[^/]+)/(?P<tenant>[^/]+)"
PIMS = P + "/pims_/api/v1"


class UiPath(UiPathTasks, UiPathControl, Engine):
    name = "uipath"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.instances: dict[str, dict] = {}
        self.order: list[str] = []
        self.tasks: dict[int, dict] = {}
        self.task_order: list[int] = []
        self.tasks_by_case: dict[str, list[int]] = {}
        self.next_task_id = 5001
        self.rng = data.rng_for(self.seed, self.name)
        self._generate()

    # -- seeded data ----------------------------------------------------------------------------
    def _generate(self) -> None:
        rng, n = self.rng, self.scale or 30
        statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
        span = 30 * data.DAY
        for i in range(n):
            status = statuses[i] if i < len(statuses) else rng.choices(statuses, weights)[0]
            inst = m.new_instance(rng, i, self.anchor - span + span * i / n, status)
            self._seed_tasks(inst)
        self.counter = n

    def _seed_tasks(self, inst: dict, assignee=...) -> None:
        self._add_instance(inst)
        t = m.BY_KEY[inst["_tmpl"]]
        status, current = inst["latestRunStatus"], inst["_stage"]
        for k, (start, end) in enumerate(inst["_times"]):
            if not t.stages[k].action:
                continue
            if end is not None:
                task = self._open_task(inst, k, start, data.member_of(t.stages[k].action.group))
                self._finish(task, "approve", {}, data.member_of(task["TaskCatalogName"]), end)
            elif k == current:
                who = self._pick_assignee(t.stages[k].action.group) if assignee is ... else assignee
                task = self._open_task(inst, k, start + 600, who)
                if status == "Cancelled":
                    task["IsDeleted"] = True

    def _pick_assignee(self, group: str):
        roll = self.rng.random()
        if roll < 0.4:
            return None
        return data.BY_USERNAME["dave"] if roll > 0.93 else data.member_of(group)

    def _add_instance(self, inst: dict) -> None:
        self.instances[inst["instanceId"]] = inst
        self.order.append(inst["instanceId"])
        self.tasks_by_case.setdefault(inst["instanceId"], [])

    def _open_task(self, inst: dict, k: int, ts: float, assignee) -> dict:
        tid = self.next_task_id
        self.next_task_id += 1
        customer = data.CUSTOMERS[tid % len(data.CUSTOMERS)]
        amount = round(500 + (tid * 7919) % 50000 + 0.5 * (tid % 2), 2)
        task = m.new_task(tid, inst, k, ts, self.rng.getrandbits(128), assignee, customer, amount)
        self.tasks[tid] = task
        self.task_order.append(tid)
        self.tasks_by_case[inst["instanceId"]].append(tid)
        return task

    def _finish(self, task: dict, action, values: dict, by: data.Person, ts: float) -> None:
        task.update(Status="Completed", IsCompleted=True, Action=action)
        task["CompletionTime"] = task["LastModificationTime"] = iso_ms(ts)
        task["TaskSlaDetail"] = {**(task["TaskSlaDetail"] or {}), "Status": "CompletedInTime"}
        task["Data"] = {**task["Data"], **(values or {})}
        task["Activities"].append(m.activity(task["Id"], "Completed", ts, by))

    # -- state changes ---------------------------------------------------------------------------
    def complete_task(self, task: dict, action, values: dict, by: data.Person) -> None:
        """Complete an action task; a running case then moves on to its next stage."""
        ts = data.now()
        self._finish(task, action, values, by, ts)
        inst = self.instances[task["_case"]]
        if inst["latestRunStatus"] == "Running" and inst["_stage"] == task["_stage"]:
            self._advance(inst, ts)

    def _advance(self, inst: dict, ts: float) -> None:
        t = m.BY_KEY[inst["_tmpl"]]
        current = inst["_stage"]
        if 0 <= current < len(inst["_times"]):
            inst["_times"][current][1] = ts
        inst["updatedAt"] = iso_ms(ts)
        for k in range(current + 1, len(t.stages)):
            inst["_stage"] = k
            inst["_times"].append([ts, None])
            if t.stages[k].action:
                self._open_task(inst, k, ts, None)
                return
            inst["_times"][k][1] = ts
        inst["_stage"] = len(t.stages)
        m.set_status(inst, "Completed", ts, ended=True)

    def _stage_done(self, inst: dict) -> bool:
        """True when the current stage's action task is already completed (so it can advance)."""
        k = inst["_stage"]
        return any(
            self.tasks[tid]["_stage"] == k and self.tasks[tid]["IsCompleted"]
            for tid in self.tasks_by_case[inst["instanceId"]]
        )

    def change_status(self, inst: dict, op: str) -> str:
        status, ts = inst["latestRunStatus"], data.now()
        if op == "cancel" and status in ("Running", "Paused", "Pending", "Faulted"):
            m.set_status(inst, "Cancelled", ts, ended=True)
            for tid in self.tasks_by_case[inst["instanceId"]]:
                task = self.tasks[tid]
                if not task["IsCompleted"]:
                    task["IsDeleted"] = True  # (inferred) closing a case withdraws its open tasks
                    task["LastModificationTime"] = iso_ms(ts)
        elif op == "pause" and status in ("Running", "Pending"):
            m.set_status(inst, "Paused", ts)
        elif op == "resume" and status == "Paused":
            m.set_status(inst, "Running", ts)
            if inst["_stage"] < 0 or self._stage_done(inst):
                self._advance(inst, ts)
        else:
            raise ApiError(
                400,
                f"Cannot {op} an instance whose status is {status}.",
                code="PIMS-150009",  # (inferred) code for an invalid state transition
            )
        return inst["latestRunStatus"]

    # -- auth and errors -------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        if req.bearer() != self.token:
            raise ApiError(401, "You are not authenticated!", code="PIMS-100401")
        parts = req.path.split("/")
        if len(parts) > 3 and (parts[1], parts[2]) != (m.ORG, m.TENANT):
            raise ApiError(404, f"Organization or tenant '{parts[1]}/{parts[2]}' was not found.")

    def error_response(self, req: Request, err: ApiError) -> Response:
        if "/pims_/" in req.path:
            code = (
                err.code
                if isinstance(err.code, str)
                else {
                    400: "PIMS-150001",
                    401: "PIMS-100401",
                    403: "PIMS-100403",
                    404: "PIMS-150004",
                }.get(err.status, f"PIMS-{err.status}")
            )  # only PIMS-150001 is documented
            body = {"type": code, "title": err.message, "status": err.status, "traceId": trace_id()}
            if err.extra:
                body["errors"] = err.extra
            return Response.json(body, err.status, PROBLEM_JSON, err.headers)
        code = err.code if isinstance(err.code, int) else 0
        body = {"message": err.message, "errorCode": code, "traceId": trace_id()}
        return Response.json(body, err.status, JSON, err.headers)

    def _instance(self, req: Request) -> dict:
        folder = req.header("x-uipath-folderkey")
        if not folder:
            raise ApiError(
                400,
                "One or more validation errors occurred.",
                extra={"X-UIPATH-FolderKey": ["The folder key header is required."]},
            )
        inst = self.instances.get(req.params["id"])
        if inst is None or inst["folderKey"] != folder:
            raise ApiError(404, f"Instance {req.params['id']} was not found in this folder.")
        return inst

    @staticmethod
    def _folder(req: Request, required: bool = True) -> None:
        raw = req.header("x-uipath-organizationunitid")
        if not raw and not required:
            return
        if not raw:
            raise ApiError(400, "A folder is required for this action.", code=1101)
        if raw.strip() != str(m.FOLDER_ID):
            msg = "Folder does not exist or the user does not have access to the folder."
            raise ApiError(400, msg, code=1100)

    # -- pims_: case instances ---------------------------------------------------------------
    @staticmethod
    def public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if k[0] != "_"}

    @route("GET", PIMS + "/instances")
    def list_instances(self, req: Request) -> Response:
        size = req.q("pageSize") or "50"
        if not size.isdigit() or not 1 <= int(size) <= 1000:
            raise ApiError(
                400,
                "One or more validation errors occurred.",
                extra={"pageSize": ["pageSize must be between 1 and 1000."]},
            )
        offset = 0
        if req.q("nextPage"):
            try:
                offset = int(data.decode_token(req.q("nextPage"))["o"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(
                    400,
                    "One or more validation errors occurred.",
                    extra={"nextPage": ["The page token is not valid."]},
                ) from None
        wanted = {k: req.q(k) for k in ("processKey", "packageId", "packageVersion") if req.q(k)}
        ptype = req.q("processType")

        def encoded() -> bytes:
            items = [] if ptype not in (None, "", "CaseManagement") else self.order
            if wanted:
                insts = self.instances
                items = [i for i in items if all(insts[i][k] == v for k, v in wanted.items())]
            page = items[offset : offset + int(size)]
            more = offset + int(size) < len(items)
            return encode(
                {
                    "instances": [self.public(self.instances[i]) for i in page],
                    "nextPage": data.encode_token({"o": offset + int(size)}) if more else None,
                }
            )

        key = ("instances", tuple(sorted(wanted.items())), ptype, offset, int(size))
        return Response(200, self.cached_page(key, encoded), {"Content-Type": JSON})

    @route("GET", PIMS + "/instances/(?P<id>[^/]+)")
    def get_instance(self, req: Request) -> Response:
        return Response.json(self.public(self._instance(req)))

    @route("POST", PIMS + "/instances/(?P<id>[^/]+)/(?P<op>cancel|pause|resume)")
    def instance_op(self, req: Request) -> Response:
        inst = self._instance(req)
        req.json_object()  # {"comment": "..."} or {} - validated, not stored
        status = self.change_status(inst, req.params["op"])
        return Response.json({"instanceId": inst["instanceId"], "status": status})

    @route("GET", PIMS + "/cases/(?P<id>[^/]+)/case-json")
    def case_json(self, req: Request) -> Response:
        inst = self._instance(req)
        return Response.json(m.case_json(m.BY_KEY[inst["_tmpl"]]))

    @route("GET", PIMS + "/element-executions/case-instances/(?P<id>[^/]+)")
    def executions(self, req: Request) -> Response:
        return Response.json(m.element_executions(self._instance(req)))
