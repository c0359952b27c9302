"""LittleHorse user-task state: users, groups, task definitions with typed fields, seeded tasks."""

from __future__ import annotations

import functools

from . import data
from .data import iso_ms

TENANT = "default"
STATUSES = ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED")
FINAL = ("DONE", "CANCELLED")
FIELD_TYPES = ("DOUBLE", "BOOLEAN", "STRING", "INTEGER")
GROUP_IDS = {
    "finance": "0f6e1d2c-0000-4000-9000-00000000f001",
    "support": "0f6e1d2c-0000-4000-9000-00000000f002",
    "legal": "0f6e1d2c-0000-4000-9000-00000000f003",
}


def _f(name, typ, required, desc):
    label = name.replace("_", " ").capitalize()
    return {
        "name": name,
        "displayName": label,
        "description": desc,
        "type": typ,
        "required": required,
    }


TASK_DEFS = {
    "approve-expense": (
        "finance",
        "Approve expense report EXP-{n} from {who} ({amount} USD)",
        [
            _f("approved", "BOOLEAN", True, "Approve the expense report?"),
            _f("approved_amount", "DOUBLE", True, "Amount to reimburse"),
            _f("comment", "STRING", False, "Note for the requester"),
        ],
    ),
    "review-contract": (
        "legal",
        "Review contract amendment for {customer}",
        [
            _f("approved", "BOOLEAN", True, "Is the amendment acceptable?"),
            _f("risk_level", "STRING", True, "low, medium or high"),
            _f("clause_count", "INTEGER", False, "Clauses needing changes"),
        ],
    ),
    "resolve-ticket": (
        "support",
        "Resolve escalated ticket SUP-{n} for {customer}",
        [
            _f("resolution", "STRING", True, "What was done"),
            _f("refund_amount", "DOUBLE", False, "Refund granted, if any"),
            _f("satisfaction", "INTEGER", False, "Customer satisfaction 1-5"),
            _f("close_ticket", "BOOLEAN", True, "Close the ticket?"),
        ],
    ),
    "verify-identity": (
        "support",
        "Verify identity documents of {customer} customer #{n}",
        [
            _f("verified", "BOOLEAN", True, "Documents match the customer?"),
            _f("document_number", "STRING", True, "Passport or ID number"),
            _f("attempts", "INTEGER", False, "Verification attempts"),
        ],
    ),
}
SEED_WEIGHTS = (("UNASSIGNED", 35), ("ASSIGNED", 35), ("DONE", 20), ("CANCELLED", 10))
SAMPLE = {"BOOLEAN": True, "DOUBLE": 120.5, "INTEGER": 2, "STRING": "ok"}


@functools.cache  # shared between tasks: assignment replaces it, never mutates it
def user_json(p: data.Person) -> dict:
    return {
        "id": p.guid,
        "email": p.email,
        "username": p.username,
        "firstName": p.first,
        "lastName": p.last,
        "valid": True,
    }


@functools.cache
def group_json(name: str) -> dict:
    return {"id": GROUP_IDS[name], "name": name, "valid": True}


def groups_of(p: data.Person) -> list[str]:
    return [p.group] if p.group else []


def find_group(value) -> str | None:
    for name, gid in GROUP_IDS.items():
        if value in (name, gid):
            return name
    return None


def event(ts: float, kind: str, payload: dict) -> dict:
    return {"time": iso_ms(ts), "type": kind, "event": payload}


def assigned_event(ts, old_user, old_group, new_user, new_group) -> dict:
    payload = {
        "oldUserId": old_user,
        "oldUserGroup": old_group,
        "newUserId": new_user,
        "newUserGroup": new_group,
    }
    return event(ts, "TASK_ASSIGNED", {k: v for k, v in payload.items() if v is not None})


def new_task(rng, n: int, def_name: str, ts: float, notes: str | None = None) -> dict:
    group, template, _fields = TASK_DEFS[def_name]
    who = data.STAFF[n % 3]
    notes = notes or template.format(
        n=4000 + n,
        who=who.name,
        amount=f"{100 + (n * 37) % 4900}",
        customer=data.CUSTOMERS[n % len(data.CUSTOMERS)],
    )
    wf = f"{def_name}-{data.hex32(rng)[:12]}"
    task = {
        "id": data.hex32(rng),
        "wfRunId": wf,
        "userTaskDefName": def_name,
        "userGroup": group_json(group),
        "user": None,
        "status": "UNASSIGNED",
        "notes": notes,
        "scheduledTime": iso_ms(ts),
        "results": {},
        "events": [assigned_event(ts, None, None, None, GROUP_IDS[group])],
        "_comments": {},
        "_next_comment": 1,
        "_ts": ts,
    }
    return task


def sample_results(def_name: str) -> dict:
    return {
        f["name"]: {"type": f["type"], "value": SAMPLE[f["type"]]} for f in TASK_DEFS[def_name][2]
    }


def check_results(def_name: str, body) -> dict:
    """Validate a result body against the task definition; returns it or raises ValueError."""
    if not isinstance(body, dict) or not body:
        raise ValueError("The body must be an object of {field: {type, value}}.")
    fields = {f["name"]: f for f in TASK_DEFS[def_name][2]}
    for name, item in body.items():
        if name not in fields:
            raise ValueError(f"Unknown field {name!r}.")
        if not isinstance(item, dict) or "value" not in item:
            raise ValueError(f"Field {name!r} must be {{type, value}}.")
        want, got, value = fields[name]["type"], item.get("type"), item["value"]
        if got != want:
            raise ValueError(f"Field {name!r} must have type {want}, not {got}.")
        ok = {
            "BOOLEAN": isinstance(value, bool),
            "INTEGER": isinstance(value, int) and not isinstance(value, bool),
            "DOUBLE": isinstance(value, int | float) and not isinstance(value, bool),
            "STRING": isinstance(value, str),
        }[want]
        if not ok:
            raise ValueError(f"Field {name!r} has a value that is not a {want}.")
    missing = [n for n, f in fields.items() if f["required"] and n not in body]
    if missing:
        raise ValueError(f"Missing required fields: {', '.join(missing)}.")
    return body
