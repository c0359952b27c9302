"""Cloudflare Workflows instance state: the approvals workflow's steps and how an instance runs."""

from __future__ import annotations

import json
import re

from . import data
from .core import ApiError
from .data import iso_ms

ACCOUNT = "acc-1"
WORKFLOWS = {  # name -> (workflow_id, version_id)
    "approvals": ("3c7e1f0a-5b2d-4e8f-9a6c-1d0b2e3f4a5b", "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"),
}
# The approvals workflow: (type, step name). A waitForEvent step is resolved by an event whose type
# equals the step name (the workflow code calls waitForEvent(name, {type: name})).
PLAN = (
    ("step", "validate-request"),
    ("step", "notify-approver"),
    ("waitForEvent", "manager-approval"),
    ("step", "apply-decision"),
    ("step", "send-confirmation"),
)
STATUSES = (
    "queued",
    "running",
    "paused",
    "errored",
    "terminated",
    "complete",
    "waitingForPause",
    "waiting",
    "rollingBack",
)
ENDED = ("errored", "terminated", "complete")
SEED_WEIGHTS = (
    ("waiting", 40),
    ("complete", 20),
    ("errored", 10),
    ("terminated", 10),
    ("paused", 7),
    ("running", 8),
    ("queued", 5),
)
STEP_CONFIG = {
    "retries": {"limit": 5, "delay": 1000, "backoff": "exponential"},
    "timeout": "10 minutes",
}
KINDS = (
    ("purchase", "Approve purchase order", "finance"),
    ("access", "Grant system access", "support"),
    ("contract", "Approve contract change", "legal"),
    ("refund", "Approve refund", "finance"),
)
_STEP_OUTPUT = {name: json.dumps({"ok": True, "step": name}) for _, name in PLAN}
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")


class CloudflareState:
    """Mixed into the Cloudflare engine: seeding and the instance state machine."""

    def _params(self, i: int) -> dict:
        kind, title, group = KINDS[i % len(KINDS)]
        requester = data.STAFF[(i // 4) % 3]
        params = {
            "request_id": f"REQ-{3000 + i}",
            "kind": kind,
            "title": f"{title} REQ-{3000 + i}",
            "amount": round(100 + (i * 7919) % 9000 + 0.25 * (i % 4), 2),
            "currency": "USD",
            "requester": requester.email,
            "approver_group": group,
        }
        if i % 3 == 0:
            params["assignee"] = data.member_of(group).email
        return params

    def _new(self, iid: str, ts: float, params) -> dict:
        wf_id, version = WORKFLOWS["approvals"]
        inst = {
            "id": iid,
            "created_on": iso_ms(ts),
            "modified_on": iso_ms(ts),
            "started_on": None,
            "ended_on": None,
            "status": "queued",
            "version_id": version,
            "workflow_id": wf_id,
            "trigger_source": "api",
            "params": params,
            "queued": iso_ms(ts),
            "error": None,
            "output": "",
            "success": None,
            "steps": [],
            "_pos": 0,
            "_events": {},
        }
        self.instances[iid] = inst
        return inst

    def _seed(self, i: int, ts: float, status: str) -> None:
        inst = self._new(data.uuid4(self.rng), ts, self._params(i))
        if status == "queued":
            return
        self.run(inst, ts + 1)
        if status == "running":  # caught between its first two steps
            inst["steps"], inst["_pos"], inst["status"] = inst["steps"][:1], 1, "running"
        elif status == "paused":
            inst["status"] = "paused"
        elif status == "errored":
            self.fail(inst, ts + 5, "Error", "Upstream ERP rejected the request (HTTP 422).")
        elif status in ("complete", "terminated"):
            if status == "complete":
                self.send_event(
                    inst, "manager-approval", {"approved": True, "by": "alice"}, ts + 3600
                )
            else:
                self.terminate(inst, ts + 7200)

    def run(self, inst: dict, ts: float) -> None:
        """Run steps until a waitForEvent without its event, or the end."""
        inst["started_on"] = inst["started_on"] or iso_ms(ts)
        inst["status"] = "running"
        inst["modified_on"] = iso_ms(ts)
        while inst["_pos"] < len(PLAN):
            kind, name = PLAN[inst["_pos"]]
            if kind == "waitForEvent":
                if not inst["steps"] or inst["steps"][-1]["name"] != name:
                    inst["steps"].append(
                        {
                            "type": "waitForEvent",
                            "name": name,
                            "start": iso_ms(ts),
                            "end": None,
                            "finished": False,
                            "error": None,
                        }
                    )
                if name not in inst["_events"]:
                    inst["status"] = "waiting"
                    return
                step = inst["steps"][-1]
                step.update(end=iso_ms(ts), finished=True, output=json.dumps(inst["_events"][name]))
            else:
                out = self._step_output(inst, name)
                inst["steps"].append(
                    {
                        "type": "step",
                        "name": name,
                        "start": iso_ms(ts),
                        "end": iso_ms(ts + 1),
                        "success": True,
                        "output": out,
                        "attempts": [
                            {
                                "start": iso_ms(ts),
                                "end": iso_ms(ts + 1),
                                "success": True,
                                "error": None,
                            }
                        ],
                        "config": STEP_CONFIG,
                    }
                )
            inst["_pos"] += 1
        inst.update(status="complete", ended_on=iso_ms(ts + 1), success=True)
        inst["output"] = json.dumps({"decision": self._decision(inst)})

    def _decision(self, inst: dict) -> str:
        event = inst["_events"].get("manager-approval") or {}
        approved = event.get("approved", event.get("decision") in ("approve", "approved"))
        return "approved" if approved else "rejected"

    def _step_output(self, inst: dict, name: str) -> str:
        if name == "apply-decision":
            return json.dumps({"decision": self._decision(inst)})
        return _STEP_OUTPUT[name]

    def send_event(self, inst: dict, event_type: str, payload, ts: float) -> None:
        inst["_events"][event_type] = payload  # buffered when nothing waits for it yet
        inst["modified_on"] = iso_ms(ts)
        if inst["status"] == "waiting":
            self.run(inst, ts)

    def fail(self, inst: dict, ts: float, name: str, message: str) -> None:
        err = {"name": name, "message": message}
        pos = min(inst["_pos"], len(PLAN) - 1)
        inst["steps"].append(
            {
                "type": "step",
                "name": PLAN[pos][1],
                "start": iso_ms(ts),
                "end": iso_ms(ts + 30),
                "success": False,
                "output": None,
                "attempts": [
                    {"start": iso_ms(ts), "end": iso_ms(ts + 10), "success": False, "error": err}
                ]
                * 3,
                "config": STEP_CONFIG,
            }
        )
        inst.update(status="errored", error=err, success=False, ended_on=iso_ms(ts + 30))
        inst["modified_on"] = iso_ms(ts + 30)

    def terminate(self, inst: dict, ts: float) -> None:
        inst["steps"].append({"type": "termination", "trigger": {"source": "api"}})
        inst.update(status="terminated", ended_on=iso_ms(ts), modified_on=iso_ms(ts), success=False)

    def change_status(self, inst: dict, op: str) -> str:
        ts, status = data.now(), inst["status"]
        if op == "pause" and status in ("queued", "running", "waiting"):
            inst.update(status="paused", modified_on=iso_ms(ts))
        elif op == "resume" and status in ("paused", "waitingForPause"):
            self.run(inst, ts)
        elif op == "terminate" and status not in ENDED:
            self.terminate(inst, ts)
        elif op == "restart":
            inst.update(
                steps=[],
                _pos=0,
                _events={},
                error=None,
                success=None,
                output="",
                ended_on=None,
                started_on=None,
            )
            self.run(inst, ts)
        else:
            raise ApiError(400, f"Cannot {op} an instance that is {status}.", code=10001)
        return inst["status"]
