"""Does the engine already reflect a write-back? Read its state and compare.

Used by the outbox when an attempt ended without a clear answer (timeout, dropped or cut-short
response, 5xx after sending) before anything is sent again, and when the engine refused a
command (an "already so" refusal is a delivery). Reads only, through the connector's
``fetch_task`` / ``fetch_case``; never touches the database.

An ``Observation`` is one of:
- ``applied``: the engine shows the command's effect (deliver it, reconciled);
- ``absent``: the engine does not show it and shows nothing contrary (send it again);
- ``conflict``: the engine shows a different decision made elsewhere (stop and show it);
- ``unknown``: the engine's state cannot tell (an engine with nothing to read).
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox.sync.base import Connector, TaskRecord

APPLIED, ABSENT, CONFLICT, UNKNOWN = "applied", "absent", "conflict", "unknown"
CASE_ENDED = {"completed", "failed", "cancelled"}


@dataclass
class Observation:
    state: str
    detail: str = ""


def _norm(value) -> str:
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    return str(value).strip().lower()


def _who(payload: dict) -> set[str]:
    return {str(v).lower() for v in (payload.get("user"), payload.get("email")) if v}


def observe(connector: Connector, action: str, payload: dict) -> Observation:
    """What the engine shows about ``action`` (raises ConnectorError when it cannot be read)."""
    if action.startswith("case_"):
        return _observe_case(connector, action, payload)
    record = connector.fetch_task(payload["external_id"], payload.get("wf_run_id") or "")
    if record is None:
        if action == "cancel":
            return Observation(APPLIED)  # the engine no longer has the step: it is gone
        return Observation(CONFLICT, "The engine no longer has this task.")
    if action == "complete":
        return _observe_complete(record, payload)
    if action == "cancel":
        if record.status == "CANCELLED":
            return Observation(APPLIED)
        if record.status == "DONE":
            return Observation(CONFLICT, "The engine shows the task completed, not cancelled.")
        return Observation(ABSENT)
    return _observe_assignment(record, action, payload)


def _observe_complete(record: TaskRecord, payload: dict) -> Observation:
    if record.status == "CANCELLED":
        return Observation(
            CONFLICT, record.message or "The engine shows the task cancelled, not completed."
        )
    if record.status != "DONE":
        return Observation(ABSENT)
    sent = payload.get("results") or {}
    differing = [
        f"{name}={_norm(record.results[name])}"
        for name, value in sent.items()
        if name in record.results and _norm(record.results[name]) != _norm(value)
    ]
    if differing:
        return Observation(
            CONFLICT, "The engine shows it completed elsewhere with " + ", ".join(differing) + "."
        )
    return Observation(APPLIED)


def _observe_assignment(record: TaskRecord, action: str, payload: dict) -> Observation:
    if record.status in ("DONE", "CANCELLED"):
        return Observation(CONFLICT, f"The engine shows the task {record.status.lower()}.")
    wanted = _who(payload) if action in ("claim", "assign") else set()
    if wanted:
        holder = (record.assignee or "").lower()
        return Observation(APPLIED if holder in wanted else ABSENT)
    if record.assignee:
        return Observation(ABSENT)
    group = payload.get("group")
    if group and record.group and record.group != group:
        return Observation(ABSENT)
    return Observation(APPLIED)


def _observe_case(connector: Connector, action: str, payload: dict) -> Observation:
    record = connector.fetch_case(payload["external_id"], payload.get("process_key") or "")
    if record is None:
        return Observation(UNKNOWN)
    status = record.status
    shown = record.upstream_status or status
    if action == "case_close":
        if status == "cancelled":
            return Observation(APPLIED)
        if status in CASE_ENDED:
            return Observation(CONFLICT, f"The engine shows the case {shown}, not cancelled.")
        return Observation(ABSENT)
    if status in CASE_ENDED:
        return Observation(CONFLICT, f"The engine shows the case {shown}.")
    paused = status == "paused"
    if action == "case_pause":
        return Observation(APPLIED if paused else ABSENT)
    return Observation(ABSENT if paused else APPLIED)  # case_resume
