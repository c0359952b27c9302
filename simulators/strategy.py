"""Execution-strategy engine: execution instances whose ONHOLD/PAUSED events wait on a person."""

from __future__ import annotations

from . import data
from . import strategy_model as sm
from .core import ApiError, Engine, Request, Response, route
from .data import iso_ms

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
}
SEED_STATUS = (("ACTIVE", 80), ("PAUSED", 10), ("CANCELED", 10))


class Strategy(Engine):
    name = "strategy"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.instances: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.by_instance: dict[str, list[str]] = {}
        self.by_correlation: dict[str, str] = {}
        self.rng = data.rng_for(self.seed, self.name)
        n = self.scale or 30
        statuses, weights = zip(*SEED_STATUS, strict=True)
        span = 60 * data.DAY
        for i in range(n):
            status = statuses[i] if i < len(statuses) else self.rng.choices(statuses, weights)[0]
            self._seed(i, self.anchor - span + span * i / n, status)
        self.counter = n

    def _seed(self, i: int, ts: float, status: str) -> None:
        s = sm.STRATEGIES[i % len(sm.STRATEGIES)]
        inst = sm.new_instance(self.rng, i, s, ts, status)
        self._add_instance(inst)
        self._event(inst, s.task, "PROCESSED" if i % 9 else "FAILED", ts + 3600, True)
        if status == "CANCELED":
            inst["endDate"] = iso_ms(ts + 2 * data.DAY)
            self._event(inst, s.task, "CANCELED", ts + 2 * data.DAY, True)["cancelReason"] = (
                "CANCEL_INSTANCE"
            )
            return
        roll = self.rng.random()
        if status == "ACTIVE" and roll < 0.6:  # a step waiting on a person
            waiting = "ONHOLD" if s.manual or roll < 0.3 else "PAUSED"
            self._event(
                inst,
                s.human_task,
                waiting,
                ts + data.DAY,
                False,
                sm.human_data(s, inst, roll < 0.2),
            )
        nxt = self._event(inst, s.task, "PENDING", ts + 30 * data.DAY, True)
        inst["nextEvent"] = {"sid": nxt["sid"], "date": nxt["date"]}

    def _add_instance(self, inst: dict) -> None:
        self.instances[inst["sid"]] = inst
        self.by_instance[inst["sid"]] = []

    def _event(self, inst, task, status, ts, main, extra=None) -> dict:
        event = sm.new_event(self.rng, inst, task, status, ts, main, extra)
        self.events[event["sid"]] = event
        self.by_instance[inst["sid"]].append(event["sid"])
        self.by_correlation[event["correlationId"]] = event["sid"]
        return event

    # -- auth and errors -------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        if req.bearer() != self.token:
            raise ApiError(401, "Unauthorized")
        secret = req.header("strategy-secret")
        if not secret:
            raise ApiError(401, "Missing Strategy-Secret header")
        if secret != sm.SECRET:
            raise ApiError(403, "Invalid strategy secret")

    def error_response(self, req: Request, err: ApiError) -> Response:
        # (inferred) the engine's error body is undocumented; NestJS's shape is assumed.
        error = TITLES.get(err.status, "Internal Server Error" if err.status >= 500 else "Error")
        body = {"statusCode": err.status, "message": err.message, "error": error}
        return Response.json(body, err.status, headers=err.headers)

    def event_json(self, event: dict) -> dict:
        inst = self.instances[event["instanceSid"]]
        return {
            **event,
            "instance": inst,
            "strategy": sm.strategy_json(sm.BY_SID[inst["strategyId"]]),
        }

    def _instance(self, sid: str) -> dict:
        inst = self.instances.get(sid)
        if inst is None:
            raise ApiError(404, f"Execution instance {sid} not found")
        return inst

    def _get_event(self, sid: str) -> dict:
        event = self.events.get(sid)
        if event is None:
            raise ApiError(404, f"Execution event {sid} not found")
        return event

    # -- state changes ---------------------------------------------------------------------------
    def _touch(self, obj: dict, **changes) -> None:
        obj.update(changes, updatedAt=iso_ms(data.now()))

    def cancel_event(self, event: dict, reason: str | None = None) -> None:
        if event["status"] in sm.FINAL:
            raise ApiError(400, f"Execution event is {event['status']} and cannot be canceled")
        self._touch(event, status="CANCELED", finishedAt=iso_ms(data.now()))
        if reason:
            event["cancelReason"] = reason

    def resume_event(self, event: dict, body) -> None:
        if event["status"] not in sm.WAITING:
            raise ApiError(400, f"Execution event is {event['status']}, not waiting for a callback")
        results = event["taskStatus"]["taskResults"]
        step = event["taskStatus"]["lastStep"] or "await-callback"
        results.append({"step": step, "success": True, "afterResumeData": body})
        self._touch(event, status="QUEUED")

    def process_event(self, event: dict, success: bool = True, message: str | None = None):
        if event["status"] in sm.FINAL:
            raise ApiError(400, f"Execution event is already {event['status']}")
        now = iso_ms(data.now())
        event["taskStatus"]["taskResults"].append(
            {"step": "finish", "success": success, **({"message": message} if message else {})}
        )
        event["taskStatus"]["lastStep"] = "finish"
        event.update(executedAt=event["executedAt"] or now, attempt=max(event["attempt"], 1))
        self._touch(event, status="PROCESSED" if success else "FAILED", finishedAt=now)
        if not success:
            event["errorMessage"] = message or "Task failed"

    def instance_op(self, inst: dict, op: str) -> None:
        status = inst["status"]
        if op == "cancel" and status != "CANCELED":
            self._touch(inst, status="CANCELED", endDate=iso_ms(data.now()), nextEvent=None)
            for sid in self.by_instance[inst["sid"]]:
                if self.events[sid]["status"] not in sm.FINAL:
                    self.cancel_event(self.events[sid], "CANCEL_INSTANCE")
        elif op == "pause" and status == "ACTIVE":
            self._touch(inst, status="PAUSED")
        elif op == "resume" and status == "PAUSED":
            self._touch(inst, status="ACTIVE")
        else:
            raise ApiError(400, f"Cannot {op} an execution instance that is {status}")

    # -- routes ----------------------------------------------------------------------------------
    @route("GET", r"/execution-instance/(?P<sid>[^/]+)/get-tasks")
    def get_tasks(self, req: Request) -> Response:
        self._instance(req.params["sid"])
        events = (self.events[e] for e in self.by_instance[req.params["sid"]])
        return Response.json([self.event_json(e) for e in events if e["status"] in sm.PENDING])

    @route("GET", r"/execution-instance/(?P<sid>[^/]+)")
    def get_instance(self, req: Request) -> Response:
        return Response.json(self._instance(req.params["sid"]))

    @route("POST", r"/execution-instance")
    def create_instance(self, req: Request) -> Response:
        body = req.json_object()
        return Response.json(self.create(body), 201)

    def create(self, body: dict, waiting: bool | None = None, assignee=None) -> dict:
        ref = body.get("strategyId")
        s = sm.BY_SID.get(ref) or sm.BY_NAME.get(ref)
        if s is None:
            raise ApiError(404, f"Execution strategy {ref} not found")
        try:
            ts = data.parse_iso(body["startDate"]) if body.get("startDate") else data.now()
        except (ValueError, TypeError):
            raise ApiError(400, "startDate must be an ISO 8601 date") from None
        attributes = body.get("attributes")
        if attributes is not None and not isinstance(attributes, dict):
            raise ApiError(400, "attributes must be an object")
        inst = sm.new_instance(self.rng, self.counter, s, ts, "ACTIVE", attributes)
        if body.get("description"):
            inst["description"] = str(body["description"])
        self.counter += 1
        self._add_instance(inst)
        if s.manual if waiting is None else waiting:
            extra = sm.human_data(s, inst, False)
            if assignee:
                extra["assignee"] = assignee
            self._event(inst, s.human_task, "ONHOLD", ts, False, extra)
        nxt = self._event(inst, s.task, "PENDING", ts + 30 * data.DAY, True)
        inst["nextEvent"] = {"sid": nxt["sid"], "date": nxt["date"]}
        return inst

    @route("POST", r"/execution-instance/(?P<sid>[^/]+)/(?P<op>cancel|pause|resume)")
    def instance_action(self, req: Request) -> Response:
        """Cancel, pause or resume an instance (pause/resume are (inferred) routes)."""
        inst = self._instance(req.params["sid"])
        self.instance_op(inst, req.params["op"])
        return Response.json(inst)

    @route("POST", r"/execution-instance/(?P<sid>[^/]+)/cancel-tasks")
    def cancel_tasks(self, req: Request) -> Response:
        inst = self._instance(req.params["sid"])
        wanted = {t for t in (req.q("tasks") or "").split(",") if t}
        if not wanted:
            raise ApiError(400, "tasks is required (comma-separated task keys)")
        out = []
        for sid in self.by_instance[inst["sid"]]:
            event = self.events[sid]
            if event["task"] in wanted and event["status"] not in sm.FINAL:
                self.cancel_event(event, "INSTANCE_CANCEL_TASK_REQUESTED")
                out.append(self.event_json(event))
        return Response.json(out)  # (inferred) the canceled events

    @route("GET", r"/execution-event/(?P<sid>[^/]+)")
    def get_event(self, req: Request) -> Response:
        # (inferred) the README shows `{event}`: the event wrapped in an `event` key
        return Response.json({"event": self.event_json(self._get_event(req.params["sid"]))})

    @route("POST", r"/execution-event/(?P<sid>[^/]+)/cancel")
    def cancel(self, req: Request) -> Response:
        event = self._get_event(req.params["sid"])
        self.cancel_event(event)
        return Response.json(self.event_json(event))

    @route("POST", r"/execution-event/(?P<cid>[^/]+)/resume")
    def resume(self, req: Request) -> Response:
        sid = self.by_correlation.get(req.params["cid"])
        if sid is None:
            raise ApiError(404, f"No execution event with correlationId {req.params['cid']}")
        event = self.events[sid]
        self.resume_event(event, req.json)
        return Response.json(self.event_json(event))

    # -- control API -----------------------------------------------------------------------------
    def identities(self) -> dict:
        return {
            "secret": sm.SECRET,
            "strategies": [{"sid": s.sid, "name": s.name} for s in sm.STRATEGIES],
            "instanceSids": list(self.instances)[:100],
        }

    def tick(self, limit: int = 3) -> int:
        """Queued events (for example resumed ones) get executed."""
        queued = [e for e in self.events.values() if e["status"] == "QUEUED"][:limit]
        for event in queued:
            self.process_event(event)
        return len(queued)

    def ctl_ids(self) -> list[str]:
        return list(self.instances)

    def ctl_create_instance(self, body: dict) -> dict:
        body = {"strategyId": sm.STRATEGIES[0].name, **body}
        inst = self.create(body, body.get("waiting"), body.get("assignee"))
        return {**inst, "events": [self.events[e] for e in self.by_instance[inst["sid"]]]}

    def ctl_create_task(self, body: dict) -> dict:
        """An ONHOLD event on an existing instance (`instanceSid`) or on a new one."""
        if not body.get("instanceSid"):
            created = self.ctl_create_instance({**body, "waiting": True})
            return self.event_json(next(e for e in created["events"] if e["status"] == "ONHOLD"))
        inst = self._instance(body["instanceSid"])
        s = sm.BY_SID[inst["strategyId"]]
        extra = sm.human_data(s, inst, False)
        if body.get("assignee"):
            extra["assignee"] = body["assignee"]
        status = body.get("status", "ONHOLD")
        if status not in sm.WAITING:
            raise ApiError(400, "status must be ONHOLD or PAUSED")
        return self.event_json(self._event(inst, s.human_task, status, data.now(), False, extra))

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        inst = self._instance(instance_id)
        if action not in ("cancel", "pause", "resume"):
            raise ApiError(400, "Instance actions: cancel, pause, resume.")
        self.instance_op(inst, action)
        return inst

    def ctl_task_action(self, task_id: str, action: str, body: dict) -> dict:
        """Act on an event by sid: complete (resume+process), resume, process, fail, cancel."""
        event = self._get_event(task_id)
        if action == "complete":
            self.resume_event(event, body.get("data", {"approved": True}))
            self.process_event(event)
        elif action == "resume":
            self.resume_event(event, body.get("data"))
        elif action == "process":
            self.process_event(event)
        elif action == "fail":
            self.process_event(event, False, body.get("message"))
        elif action == "cancel":
            self.cancel_event(event, body.get("reason"))
        else:
            raise ApiError(400, "Event actions: complete, resume, process, fail, cancel.")
        return self.event_json(event)
