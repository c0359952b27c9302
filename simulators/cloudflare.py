"""Cloudflare Workflows: instances that run steps and wait on `waitForEvent` until the event arrives."""

from __future__ import annotations

import bisect
import json

from . import data
from .cloudflare_model import (
    ACCOUNT,
    ENDED,
    ID_RE,
    SEED_WEIGHTS,
    STATUSES,
    WORKFLOWS,
    CloudflareState,
)
from .core import ApiError, Engine, Request, Response, route
from .data import iso_ms

B = r"/client/v4/accounts/(?P<account>[^/]+)/workflows/(?P<workflow>[^/]+)/instances"


class Cloudflare(CloudflareState, Engine):
    name = "cloudflare"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.instances: dict[str, dict] = {}
        self.rng = data.rng_for(self.seed, self.name)
        n = self.scale or 30
        statuses, weights = zip(*SEED_WEIGHTS, strict=True)
        span = 14 * data.DAY
        for i in range(n):
            status = statuses[i] if i < len(statuses) else self.rng.choices(statuses, weights)[0]
            self._seed(i, self.anchor - span + span * i / n, status)
        self.counter = n

    # -- auth, envelope and errors --------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        if req.bearer() != self.token:
            raise ApiError(403, "Authentication error", code=10000)
        if req.path.startswith("/client/v4/accounts/"):
            account = req.path.split("/")[4]
            if account != ACCOUNT:
                raise ApiError(403, "Authentication error", code=10000)

    def error_response(self, req: Request, err: ApiError) -> Response:
        # Codes other than 10000 (authentication) are (inferred).
        code = (
            err.code if isinstance(err.code, int) else {404: 10007, 429: 971}.get(err.status, 10001)
        )
        body = {
            "success": False,
            "errors": [{"code": code, "message": err.message}],
            "messages": [],
            "result": None,
        }
        return Response.json(body, err.status, headers=err.headers)

    @staticmethod
    def ok(result, result_info=None, status: int = 200) -> Response:
        body = {"success": True, "errors": [], "messages": [], "result": result}
        if result_info is not None:
            body["result_info"] = result_info
        return Response.json(body, status)

    def _workflow(self, req: Request) -> None:
        if req.params["workflow"] not in WORKFLOWS:
            raise ApiError(404, f"Workflow {req.params['workflow']} not found", code=10200)

    def _instance(self, req: Request) -> dict:
        self._workflow(req)
        inst = self.instances.get(req.params["id"])
        if inst is None:
            raise ApiError(404, "Instance not found", code=10007)
        return inst

    @staticmethod
    def summary(inst: dict) -> dict:
        keys = (
            "id",
            "created_on",
            "modified_on",
            "started_on",
            "ended_on",
            "status",
            "version_id",
            "workflow_id",
            "trigger_source",
        )
        return {k: inst[k] for k in keys}

    @staticmethod
    def detail(inst: dict, order: str = "asc", simple: bool = False) -> dict:
        steps = [] if simple else (inst["steps"] if order != "desc" else inst["steps"][::-1])
        return {
            "status": inst["status"],
            "params": inst["params"],
            "trigger": {"source": inst["trigger_source"]},
            "versionId": inst["version_id"],
            "queued": inst["queued"],
            "start": inst["started_on"],
            "end": inst["ended_on"],
            "success": inst["success"],
            "error": inst["error"],
            "output": inst["output"],
            "step_count": len(inst["steps"]),
            "steps": steps,
        }

    # -- routes --------------------------------------------------------------------------------
    @route("GET", B)
    def list_instances(self, req: Request) -> Response:
        self._workflow(req)
        per_page = req.q_int("per_page", 50, 1, 100)
        page = req.q_int("page", 1, 1)
        status, direction = req.q("status"), (req.q("direction") or "desc").lower()
        if status and status not in STATUSES:
            raise ApiError(400, f"Invalid status {status!r}", code=10001)
        if direction not in ("asc", "desc"):
            raise ApiError(400, "direction must be asc or desc", code=10001)
        try:
            lo = iso_ms(data.parse_iso(req.q("date_start"))) if req.q("date_start") else None
            hi = iso_ms(data.parse_iso(req.q("date_end"))) if req.q("date_end") else None
        except ValueError:
            raise ApiError(
                400, "date_start and date_end must be ISO 8601 dates", code=10001
            ) from None

        def matching():
            items = [
                i
                for i in self.instances.values()
                if (not status or i["status"] == status)
                and (lo is None or i["created_on"] >= lo)
                and (hi is None or i["created_on"] <= hi)
            ]
            keys = [(i["created_on"], i["id"]) for i in items]  # insertion = creation order
            ascending = list(keys)
            if direction == "desc":
                items.reverse()
                keys.reverse()
            return items, keys, ascending

        items, keys, ascending = self.cached(("instances", status, lo, hi, direction), matching)
        if req.q("cursor"):
            try:
                after = tuple(data.decode_token(req.q("cursor"))["after"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "Invalid cursor", code=10001) from None
            if direction == "asc":
                offset = bisect.bisect_right(keys, after)
            else:
                offset = len(keys) - bisect.bisect_left(ascending, after)
        else:
            offset = (page - 1) * per_page
        chunk = items[offset : offset + per_page]
        info = {
            "page": offset // per_page + 1,
            "per_page": per_page,
            "count": len(chunk),
            "total_count": len(items),
        }
        if offset + per_page < len(items) and chunk:
            info["cursor"] = data.encode_token(
                {"after": [chunk[-1]["created_on"], chunk[-1]["id"]]}
            )
        return self.ok([self.summary(i) for i in chunk], info)

    def _create(self, spec) -> dict:
        if not isinstance(spec, dict):
            raise ApiError(400, "Each instance must be an object", code=10001)
        iid = spec.get("instance_id") or data.uuid4(self.rng)
        if not isinstance(iid, str) or not ID_RE.fullmatch(iid):
            raise ApiError(400, "instance_id must be 1-100 characters of [A-Za-z0-9_-]", code=10001)
        if iid in self.instances:
            raise ApiError(409, f"An instance with id {iid} already exists", code=10300)
        ts = data.now()
        inst = self._new(iid, ts, spec.get("params"))
        self.run(inst, ts)  # runs at once; the response still reports "queued" like the API
        return {
            "id": iid,
            "status": "queued",
            "version_id": inst["version_id"],
            "workflow_id": inst["workflow_id"],
            "trigger_source": "api",
        }

    @route("POST", B)
    def create(self, req: Request) -> Response:
        self._workflow(req)
        return self.ok(self._create(req.json_object()))

    @route("POST", B + "/batch")
    def create_batch(self, req: Request) -> Response:
        self._workflow(req)
        if not isinstance(req.json, list):
            raise ApiError(400, "The body must be an array of instances", code=10001)
        return self.ok([self._create(spec) for spec in req.json])

    @route("GET", B + "/(?P<id>[^/]+)")
    def get(self, req: Request) -> Response:
        inst = self._instance(req)
        simple = (req.q("simple") or "").lower() == "true"  # (inferred) simple=true omits steps
        return self.ok(self.detail(inst, (req.q("order") or "asc").lower(), simple))

    @route("PATCH", B + "/(?P<id>[^/]+)/status")
    def patch_status(self, req: Request) -> Response:
        inst = self._instance(req)
        op = req.json_object().get("status")
        if op not in ("pause", "resume", "terminate", "restart"):
            raise ApiError(400, "status must be pause, resume, terminate or restart", code=10001)
        status = self.change_status(inst, op)
        return self.ok({"status": status, "timestamp": iso_ms(data.now())})

    @route("POST", B + "/(?P<id>[^/]+)/events/(?P<event>[^/]+)")
    def event(self, req: Request) -> Response:
        inst = self._instance(req)
        if inst["status"] in ENDED:
            raise ApiError(409, f"Instance is {inst['status']} and accepts no events", code=10300)
        self.send_event(inst, req.params["event"], req.json, data.now())
        return self.ok({})

    @route("GET", B + "/(?P<id>[^/]+)/step")
    def step(self, req: Request) -> Response:
        inst = self._instance(req)
        name, kind = req.q("name"), req.q("type") or "step"
        if not name:
            raise ApiError(400, "name is required", code=10001)
        for s in inst["steps"]:
            if s.get("name") == name and s["type"] == kind:
                return self.ok(self._step_status(s))
        raise ApiError(404, f"Step {name!r} of type {kind!r} not found", code=10007)

    @staticmethod
    def _step_status(s: dict) -> dict:
        if s["type"] == "waitForEvent":
            done = s["finished"]
            output = json.loads(s["output"]) if done and s.get("output") else None
            return {
                "status": "complete" if done else "waiting",
                "error": s["error"],
                "output": output,
            }
        status = "running" if s["success"] is None else ("complete" if s["success"] else "errored")
        err = s["attempts"][-1]["error"] if s["attempts"] else None
        output = json.loads(s["output"]) if s.get("output") else None
        return {"status": status, "error": err, "output": output}

    # -- control API -----------------------------------------------------------------------------
    def identities(self) -> dict:
        return {
            "accountId": ACCOUNT,
            "workflows": list(WORKFLOWS),
            "eventTypes": ["manager-approval"],
        }

    def tick(self, limit: int = 3) -> int:
        """Queued and running instances run on (to their wait or their end)."""
        moving = [i for i in self.instances.values() if i["status"] in ("queued", "running")]
        for inst in moving[:limit]:
            self.run(inst, data.now())
        return len(moving[:limit])

    def ctl_ids(self) -> list[str]:
        return list(self.instances)

    def ctl_create_instance(self, body: dict) -> dict:
        params = body.get("params") or self._params(self.counter)
        self.counter += 1
        created = self._create({"instance_id": body.get("instance_id"), "params": params})
        return {**created, **self.detail(self.instances[created["id"]])}

    ctl_create_task = ctl_create_instance  # a waiting instance is the human task

    def _ctl_instance(self, iid: str) -> dict:
        if iid not in self.instances:
            raise ApiError(404, f"No instance {iid}")
        return self.instances[iid]

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        inst = self._ctl_instance(instance_id)
        if action == "fail":
            if inst["status"] in ENDED:
                raise ApiError(409, "The instance has already ended.")
            self.fail(
                inst, data.now(), body.get("name", "Error"), body.get("message", "Step failed")
            )
        elif action in ("pause", "resume", "terminate", "restart"):
            self.change_status(inst, action)
        else:
            raise ApiError(400, "Instance actions: fail, pause, resume, terminate, restart.")
        return {"id": instance_id, **self.detail(inst)}

    def ctl_task_action(self, task_id: str, action: str, body: dict) -> dict:
        """`complete` sends the event as if the workflow's own app had received the decision."""
        inst = self._ctl_instance(task_id)
        if action != "complete":
            raise ApiError(400, "Task actions: complete.")
        if inst["status"] != "waiting":
            raise ApiError(409, f"The instance is {inst['status']}, not waiting.")
        payload = body.get("payload", {"approved": True, "by": body.get("user", "admin")})
        self.send_event(inst, body.get("event_type", "manager-approval"), payload, data.now())
        return {"id": task_id, **self.detail(inst)}
