"""DocuSign IAM Maestro: workflow instances (list, get, cancel) that progress through steps."""

from __future__ import annotations

import json

from . import data
from .core import JSON, PROBLEM_JSON, ApiError, Engine, Request, Response, route, trace_id
from .data import iso_ms

ACCOUNT = "acc-1"
W = r"/v1/accounts/(?P<account>[^/]+)/workflows/(?P<workflow>[^/]+)"
WORKFLOWS = {
    "wf-1": {
        "name": "Vendor NDA",
        "template_id": "8d2b6a1e-4c3f-4e5a-9b7c-0f1e2d3c4b5a",
        "group": "legal",
        "steps": (
            "Collect requester details",
            "Prepare NDA from template",
            "Legal review",
            "Send for signature",
            "Countersign",
            "Archive to storage",
        ),
    },
}
# workflow_status is free text upstream; this set of values is (inferred).
ENDED = ("Completed", "Canceled", "Failed")
STATUS_WEIGHTS = (
    ("In Progress", 50),
    ("Completed", 25),
    ("Canceled", 10),
    ("Failed", 8),
    ("Created", 7),
)


class DocuSign(Engine):
    name = "docusign"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.instances: dict[str, dict] = {}  # id -> instance (insertion = start order)
        self.paused: set[str] = set()  # workflows whose new instances are paused
        self.rng = data.rng_for(self.seed, self.name)
        n = self.scale or 30
        statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
        span = 20 * data.DAY
        for i in range(n):
            status = statuses[i] if i < len(statuses) else self.rng.choices(statuses, weights)[0]
            self._new(i, "wf-1", self.anchor - span + span * i / n, status)
        self.counter = n

    def _new(self, i: int, workflow: str, started: float, status: str, inputs=None) -> dict:
        wf, rng = WORKFLOWS[workflow], self.rng
        steps = wf["steps"]
        starter = rng.choice(data.STAFF)
        company = data.CUSTOMERS[i % len(data.CUSTOMERS)]
        done = {"Completed": len(steps), "Created": 0}.get(status) or rng.randrange(1, len(steps))
        ended = started + (done + 1) * 3600 if status in ENDED else None
        inst = {
            "id": data.uuid4(rng),
            "name": f"{wf['name']} - {company} #{2000 + i}",
            "workflow_status": status,
            "template_id": wf["template_id"],
            "account_id": ACCOUNT,
            "started_at": iso_ms(started),
            "started_by": starter.guid,
            "started_by_name": starter.name,
            "started_by_role": "Sender",
            "ended_at": iso_ms(ended),
            "expires_at": iso_ms(started + 30 * data.DAY),
            "last_modified_at": iso_ms(ended or started + done * 3600),
            "canceled_at": iso_ms(ended) if status == "Canceled" else None,
            "canceled_by": data.ADMIN.guid if status == "Canceled" else None,
            "trigger_inputs": inputs
            or {
                "company": company,
                "signer_name": f"{company} Legal",
                "signer_email": f"legal@{company.split()[0].lower()}.example",
                "contract_value": 1000 * (1 + i % 50),
                "expedite": i % 4 == 0,
            },
            "total_steps": len(steps),
            "last_completed_step": done,
            "last_completed_step_name": steps[done - 1] if done else None,
            "tags": ["nda", wf["group"]],  # the team hint
            "metadata": {
                "workflow_created_by": data.ADMIN.guid,
                "workflow_version": "3",
                "workflow_metadata_id": wf["template_id"],
            },
            "_workflow": workflow,
        }
        self.instances[inst["id"]] = inst
        return inst

    # -- auth and errors ---------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        if req.bearer() is None:
            raise ApiError(401, "The access token is missing.", code="AUTHORIZATION_INVALID_TOKEN")
        if req.bearer() != self.token:
            raise ApiError(
                401, "The access token is invalid or expired.", code="AUTHORIZATION_INVALID_TOKEN"
            )

    def error_response(self, req: Request, err: ApiError) -> Response:
        titles = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            405: "Method Not Allowed",
            409: "Conflict",
            429: "Too Many Requests",
        }
        body = {
            "type": f"https://developers.docusign.com/docs/maestro-api/errors/#{err.status}",
            "title": titles.get(
                err.status, "Internal Server Error" if err.status >= 500 else "Error"
            ),
            "status": err.status,
            "detail": err.message,
            "errors": [{"code": err.code or f"HTTP_{err.status}", "message": err.message}],
            "request_id": trace_id(),
            "timestamp": iso_ms(data.now()),
        }
        return Response.json(body, err.status, PROBLEM_JSON, err.headers)

    def _workflow(self, req: Request) -> str:
        if req.params["account"] != ACCOUNT:
            raise ApiError(
                403,
                "The user does not have access to this account.",
                code="USER_LACKS_ACCOUNT_ACCESS",
            )
        if req.params["workflow"] not in WORKFLOWS:
            raise ApiError(
                404, f"Workflow {req.params['workflow']} was not found.", code="WORKFLOW_NOT_FOUND"
            )
        return req.params["workflow"]

    def _instance(self, req: Request) -> dict:
        workflow = self._workflow(req)
        inst = self.instances.get(req.params["id"])
        if inst is None or inst["_workflow"] != workflow:
            raise ApiError(
                404,
                f"Workflow instance {req.params['id']} was not found.",
                code="WORKFLOW_INSTANCE_NOT_FOUND",
            )
        return inst

    @staticmethod
    def public(inst: dict) -> dict:
        return {k: v for k, v in inst.items() if k[0] != "_"}

    # -- routes --------------------------------------------------------------------------------
    @route("GET", W + "/instances")
    def list_instances(self, req: Request) -> Response:
        workflow, started = self._workflow(req), data.now()

        def encoded() -> tuple[int, bytes]:
            # The unpaged list is ~900 bytes an instance: encode it once per state, not per call.
            items = [self.public(i) for i in self.instances.values() if i["_workflow"] == workflow]
            return len(items), json.dumps(items, separators=(",", ":")).encode()

        count, items = self.cached(("instances", workflow), encoded)
        meta = {
            "page_limit": count,  # (inferred) the list is unpaged: everything in one page
            "request_id": trace_id(),
            "response_timestamp": iso_ms(data.now()),
            "response_duration_ms": int((data.now() - started) * 1000),
        }
        body = b'{"data":' + items + b',"response_metadata":'
        body += json.dumps(meta, separators=(",", ":")).encode() + b"}"
        return Response(200, body, {"Content-Type": JSON})

    @route("GET", W + "/instances/(?P<id>[^/]+)")
    def get_instance(self, req: Request) -> Response:
        return Response.json(self.public(self._instance(req)))

    @route("POST", W + "/instances/(?P<id>[^/]+)/actions/cancel")
    def cancel(self, req: Request) -> Response:
        inst = self._instance(req)
        if inst["workflow_status"] in ENDED:
            raise ApiError(
                409,
                f"Workflow instance {inst['id']} has already ended "
                f"({inst['workflow_status']}) and cannot be canceled.",
                code="WORKFLOW_INSTANCE_NOT_CANCELABLE",
            )
        self.end(inst, "Canceled")
        msg = f"Workflow instance {inst['id']} of workflow {req.params['workflow']} has been canceled."
        return Response.json({"message": msg})

    @route("POST", W + "/actions/(?P<op>pause|resume)")
    def pause_workflow(self, req: Request) -> Response:
        workflow = self._workflow(req)
        if req.params["op"] == "pause":
            self.paused.add(workflow)
        else:
            self.paused.discard(workflow)
        return Response.json({"is_paused": workflow in self.paused})  # (inferred) field name

    # -- state changes ---------------------------------------------------------------------------
    def end(self, inst: dict, status: str) -> None:
        ts = iso_ms(data.now())
        inst.update(workflow_status=status, ended_at=ts, last_modified_at=ts)
        if status == "Canceled":
            inst.update(canceled_at=ts, canceled_by=data.ADMIN.guid)

    def advance(self, inst: dict) -> None:
        """Complete the next step; after the last one the instance is Completed."""
        if inst["workflow_status"] in ENDED:
            raise ApiError(409, "The instance has already ended.")
        steps = WORKFLOWS[inst["_workflow"]]["steps"]
        done = inst["last_completed_step"] + 1
        inst.update(
            last_completed_step=done,
            last_completed_step_name=steps[done - 1],
            workflow_status="In Progress",
            last_modified_at=iso_ms(data.now()),
        )
        if done == len(steps):
            self.end(inst, "Completed")

    # -- control API -----------------------------------------------------------------------------
    def identities(self) -> dict:
        return {"accountId": ACCOUNT, "workflowIds": list(WORKFLOWS)}

    def tick(self, limit: int = 3) -> int:
        """The oldest running instances complete their next step."""
        moving = [i for i in self.instances.values() if i["workflow_status"] in ("In Progress",)]
        for inst in moving[:limit]:
            self.advance(inst)
        return len(moving[:limit])

    def ctl_ids(self) -> list[str]:
        return list(self.instances)

    def ctl_create_instance(self, body: dict) -> dict:
        workflow = body.get("workflowId", "wf-1")
        if workflow not in WORKFLOWS:
            raise ApiError(400, f"Unknown workflow {workflow!r}.")
        status = "Created" if workflow in self.paused else body.get("status", "In Progress")
        if status not in dict(STATUS_WEIGHTS):
            raise ApiError(400, f"status must be one of {[s for s, _ in STATUS_WEIGHTS]}.")
        inst = self._new(self.counter, workflow, data.now(), status, body.get("trigger_inputs"))
        self.counter += 1
        return self.public(inst)

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        inst = self.instances.get(instance_id)
        if inst is None:
            raise ApiError(404, f"No instance {instance_id}.")
        if action == "advance":
            self.advance(inst)
        elif action == "complete":
            while inst["workflow_status"] not in ENDED:
                self.advance(inst)
        elif action in ("fail", "cancel"):
            if inst["workflow_status"] in ENDED:
                raise ApiError(409, "The instance has already ended.")
            self.end(inst, "Failed" if action == "fail" else "Canceled")
        else:
            raise ApiError(400, "Instance actions: advance, complete, fail, cancel.")
        return self.public(inst)
