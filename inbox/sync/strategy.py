"""The execution-strategy engine (upstream README §4): events waiting on a person are tasks.

There is no list of instances: a source names the instance SIDs it watches. Each poll reads
every watched instance's pending events (a bare array, no paging). Only events that wait for a
person become tasks (``waits_for_person``: ONHOLD, i.e. held for a manual trigger, or a PAUSED
step that carries a person's data); automated events (charge-card, send-renewal-notice...)
appear only in the case's execution history. The list is complete per instance, so an open
task missing from it (resumed: QUEUED/EXECUTING/PROCESSED; or FAILED/CANCELED) is looked up by
its event SID and ended.

Source settings: ``watch = {instance_sids: [...], fields?: [...]}``,
``credentials = {token, secret}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from inbox.sync.base import (
    APPROVAL_FIELDS,
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    Rejected,
    TaskRecord,
    UnsupportedAction,
    parse_time,
)
from inbox.sync.http import call
from inbox.vocabulary import task_type

OPEN = {"ONHOLD", "PAUSED"}
DONE = {"QUEUED", "EXECUTING", "PROCESSED", "PENDING"}
ENDED = {"FAILED", "CANCELED"}
INSTANCE_STATUS = {"ACTIVE": "running", "PAUSED": "paused", "CANCELED": "cancelled"}
CASE_OPS = {"case_pause": "pause", "case_resume": "resume", "case_close": "cancel"}


def waits_for_person(event: dict) -> bool:
    """ONHOLD: held until someone triggers it (manual trigger). PAUSED: waiting for a callback,
    a person's step when it is not the strategy's main automated task or carries a person's data
    (title, group, fields). Everything else runs by itself."""
    status = event.get("status")
    if status == "ONHOLD":
        return True
    return status == "PAUSED" and (not event.get("main") or bool(event.get("data")))


class StrategyConnector(Connector):
    kind = "strategy"
    label = "The strategy engine"
    # No assignees upstream: claim, release and assign route inside the inbox only.
    task_actions = frozenset({"claim", "release", "assign", "complete", "cancel", "comment"})
    case_actions = frozenset({"pause", "resume", "close"})

    def _call(self, method: str, path: str, **kwargs):
        credentials = self.config.credentials
        headers = {
            "Authorization": f"Bearer {credentials.get('token', '')}",
            "Strategy-Secret": str(credentials.get("secret", "")),
        }
        return call(self.client, method, path, headers=headers, **kwargs)

    def pages(self, cursor: dict) -> Iterator[Page]:
        """One page per watched instance; the cursor names the next one, so a failed poll
        resumes its walk there instead of at the first instance."""
        sids = list(self.config.watch.get("instance_sids") or [])
        if cursor.get("instance") in sids:
            sids = sids[sids.index(cursor["instance"]) :]
        for index, sid in enumerate(sids):
            instance = self._call("GET", f"/execution-instance/{sid}")
            instance = instance.get("instance", instance) if isinstance(instance, dict) else {}
            events = self._call("GET", f"/execution-instance/{sid}/get-tasks") or []
            rejected: list[Rejected] = []
            tasks = self.read_items(
                "task", [e for e in events if waits_for_person(e)], self.task, rejected
            )
            cases = self.read_items(
                "case", [instance], lambda i, s=sid, e=events: self.case(s, i, e), rejected
            )
            for item in rejected:
                item.external_id = item.external_id or sid
            next_cursor = {"instance": sids[index + 1]} if index + 1 < len(sids) else {}
            yield Page(
                cases=cases,
                tasks=tasks,
                cursor=next_cursor,
                complete_runs=[sid],
                rejected=rejected,
            )

    def case(self, sid: str, instance: dict, events: list) -> CaseRecord:
        strategy = next((e.get("strategy") for e in events if e.get("strategy")), {}) or {}
        status = instance.get("status", "")
        return CaseRecord(
            external_id=sid,
            name=instance.get("description") or sid,
            process_key=strategy.get("name") or instance.get("strategyId") or "",
            status=INSTANCE_STATUS.get(status, "running"),
            upstream_status=status,
            started_at=parse_time(instance.get("startDate")),
            ended_at=parse_time(instance.get("endDate")),
            progress_done=instance.get("cycle"),
            payload=instance,
            history=[
                {
                    "event": e.get("sid"),
                    "task": e.get("task"),
                    "status": e.get("status"),
                    "date": e.get("date"),
                    "last_step": (e.get("taskStatus") or {}).get("lastStep"),
                    "person": waits_for_person(e),
                }
                for e in events
            ],
        )

    def task(self, event: dict) -> TaskRecord:
        data = event.get("data") or {}
        instance = event.get("instance") or {}
        attributes = instance.get("attributes") or {}
        status = event.get("status", "")
        if status in OPEN:
            local = "UNASSIGNED"
        elif status in ENDED:
            local = "CANCELLED"
        else:
            local = "DONE"
        return TaskRecord(
            external_id=event["sid"],
            wf_run_id=event.get("instanceSid") or instance.get("sid") or "",
            case_external_id=event.get("instanceSid"),
            task_type=event.get("task") or "event",
            title=str(
                data.get("title") or f"{event.get('task')} ({instance.get('description', '')})"
            ),
            description=_step_sentence((event.get("taskStatus") or {}).get("lastStep")),
            status=local,
            upstream_status=status,
            group=data.get("group") or attributes.get("team"),
            assignee=data.get("assignee"),
            due_at=parse_time(event.get("date")),
            created_at=parse_time(event.get("createdAt")),
            fields=data.get("fields")
            and [
                {
                    "name": f["name"],
                    "display_name": f.get("displayName") or f["name"],
                    "description": f.get("description", ""),
                    "type": f.get("type", "STRING"),
                    "required": bool(f.get("required")),
                }
                for f in data["fields"]
            ]
            or self.config.watch.get("fields")
            or APPROVAL_FIELDS,
            context={"correlation_id": event.get("correlationId"), **attributes},
            message=event.get("cancelReason") or event.get("errorMessage") or "",
        )

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        try:
            body = self._call("GET", f"/execution-instance/{external_id}")
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        instance = body.get("instance", body) if isinstance(body, dict) else {}
        status = instance.get("status", "")
        return CaseRecord(
            external_id=external_id,
            status=INSTANCE_STATUS.get(status, "running"),
            upstream_status=status,
        )

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        try:
            body = self._call("GET", f"/execution-event/{external_id}")
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        event = body.get("event", body) if isinstance(body, dict) else None
        return self.task(event) if event else None

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        if action in CASE_OPS:
            self._call("POST", f"/execution-instance/{payload['external_id']}/{CASE_OPS[action]}")
            return
        if action == "complete":
            correlation = (payload.get("context") or {}).get("correlation_id") or payload[
                "external_id"
            ]
            values = {k: v["value"] for k, v in (payload.get("results") or {}).items()}
            # Who decided travels in the resume data the engine keeps (afterResumeData).
            values["completed_by"] = payload.get("email") or payload.get("user") or ""
            self._call("POST", f"/execution-event/{correlation}/resume", json=values)
        elif action == "cancel":
            self._call("POST", f"/execution-event/{payload['external_id']}/cancel")
        elif action in ("claim", "release", "assign"):
            return  # the engine has no assignees: routing lives in the inbox only
        else:
            raise UnsupportedAction(f"the strategy engine cannot {action} an event")

    def start_case(self, params: dict) -> list[dict]:
        body = {
            k: params[k]
            for k in ("description", "strategyId", "startDate", "attributes")
            if k in params
        }
        return [self._call("POST", "/execution-instance", json=body)]


def _step_sentence(last_step) -> str:
    """The engine's last step in words: 'await-callback' -> 'In the engine: Waiting for a reply.'"""
    return f"In the engine: {task_type(last_step)}." if last_step else ""
