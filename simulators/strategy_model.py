"""Execution-strategy engine state: strategies, execution instances and their execution events."""

from __future__ import annotations

from dataclasses import dataclass

from . import data
from .data import iso_ms

SECRET = "sim-secret"
WAITING = ("ONHOLD", "PAUSED")  # events waiting on a person
PENDING = ("ONHOLD", "PENDING", "QUEUED", "EXECUTING", "PAUSED")  # what get-tasks returns
FINAL = ("PROCESSED", "FAILED", "CANCELED")


@dataclass(frozen=True)
class StrategyDef:
    sid: str
    name: str
    description: str
    task: str  # the main, automatic task
    human_task: str  # the step that waits on a person
    human_title: str
    group: str
    manual: bool  # manualTrigger: events are created ONHOLD instead of PENDING


STRATEGIES = (
    StrategyDef(
        "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c01",
        "subscription-billing",
        "Monthly subscription billing",
        "charge-card",
        "review-failed-payment",
        "Review failed payment",
        "finance",
        False,
    ),
    StrategyDef(
        "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c02",
        "contract-renewal",
        "Yearly contract renewal",
        "send-renewal-notice",
        "confirm-renewal-terms",
        "Confirm renewal terms",
        "legal",
        True,
    ),
    StrategyDef(
        "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c03",
        "support-follow-up",
        "Customer follow-up calls",
        "schedule-call",
        "call-customer",
        "Call customer back",
        "support",
        False,
    ),
)
BY_SID = {s.sid: s for s in STRATEGIES}
BY_NAME = {s.name: s for s in STRATEGIES}
FIELDS = [
    {"name": "approved", "type": "BOOLEAN", "required": True},
    {"name": "note", "type": "STRING", "required": False},
]


def strategy_json(s: StrategyDef) -> dict:
    ts = iso_ms(data.parse_iso("2025-06-01T00:00:00Z"))
    return {
        "sid": s.sid,
        "name": s.name,
        "description": s.description,
        "version": 1,
        "settings": {"config": {"manualTrigger": s.manual, "timezone": "UTC"}},
        "createdAt": ts,
        "updatedAt": ts,
    }


def new_instance(rng, i: int, s: StrategyDef, ts: float, status: str, attributes=None) -> dict:
    owner = data.member_of(s.group)
    customer = data.CUSTOMERS[i % len(data.CUSTOMERS)]
    return {
        "sid": data.uuid4(rng),
        "description": f"{s.description} for {customer}",
        "strategyId": s.sid,
        "status": status,
        "cycle": 1 + i % 6,
        "startDate": iso_ms(ts),
        "endDate": None,
        "executionDate": iso_ms(ts + 30 * data.DAY),
        "executionDay": int(data.iso_s(ts)[8:10]),
        "attributes": attributes
        or {
            "customer": customer,
            "plan": ("basic", "pro", "enterprise")[i % 3],
            "amount": str(49 + (i * 37) % 950),
            "owner": owner.email,
            "team": s.group,
        },
        "nextEvent": None,
        "createdAt": iso_ms(ts),
        "updatedAt": iso_ms(ts),
    }


def new_event(rng, inst: dict, task: str, status: str, ts: float, main: bool, extra=None) -> dict:
    s = BY_SID[inst["strategyId"]]
    done = status in FINAL
    started = status not in ("PENDING", "ONHOLD", "QUEUED")
    results = [{"step": "prepare", "success": True}] if started else []
    if status == "PAUSED":
        results.append(
            {"step": "await-callback", "success": True, "message": "Waiting for callback"}
        )
    if status == "FAILED":
        results.append(
            {"step": "call-service", "success": False, "message": "HTTP 502 from billing"}
        )
    event = {
        "sid": data.uuid4(rng),
        "instanceSid": inst["sid"],
        "strategySid": s.sid,
        "status": status,
        "main": main,
        "afterCancellation": False,
        "task": task,
        "date": iso_ms(ts),
        "data": extra,
        "scheduledAt": iso_ms(ts - 3600),
        "executedAt": iso_ms(ts) if started else None,
        "finishedAt": iso_ms(ts + 5) if done else None,
        "attempt": 1 if started else 0,
        "jobId": str(rng.randrange(10**6, 10**7)),
        "correlationId": data.uuid4(rng),
        "taskStatus": {"lastStep": results[-1]["step"] if results else "", "taskResults": results},
        "createdCycle": inst["cycle"],
        "createdAt": iso_ms(ts - 3600),
        "updatedAt": iso_ms(ts),
    }
    if status == "FAILED":
        event["errorMessage"] = "HTTP 502 from billing"
    return event


def human_data(s: StrategyDef, inst: dict, assign: bool) -> dict:
    """The payload of a step waiting on a person: what to show and which fields to fill in."""
    out = {
        "title": f"{s.human_title}: {inst['attributes'].get('customer', inst['sid'][:8])}",
        "group": s.group,
        "fields": FIELDS,
    }
    if assign:
        out["assignee"] = data.member_of(s.group).email
    return out
