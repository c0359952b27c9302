"""Cloudflare Workflows instances (upstream README §3).

Instances become cases and their steps stages; each ``waitForEvent`` step is a human task,
open while ``finished`` is false, completed by sending its event. The list is walked with
``cursor`` paging in the v4 envelope; details are fetched for instances that are still running
or were modified since the last walk.

Source settings: ``watch = {account_id, workflows: [name, ...], event_types?: {step: event},
fields?: [...]}``, ``credentials = {token}``. Task routing reads the instance params
``approver_group``/``group`` and ``assignee`` (configurable names: ``group_param``,
``assignee_param``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone

from inbox.sync.base import (
    APPROVAL_FIELDS,
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    StageRecord,
    TaskRecord,
    UnsupportedAction,
    parse_time,
)
from inbox.sync.http import call
from inbox.vocabulary import words

PER_PAGE = 100
OVERLAP = timedelta(minutes=2)
ENDED = {"complete", "errored", "terminated"}
STATUS = {
    "queued": "pending",
    "running": "running",
    "waiting": "running",
    "waitingForPause": "running",
    "rollingBack": "running",
    "paused": "paused",
    "complete": "completed",
    "errored": "failed",
    "terminated": "cancelled",
}
CASE_STATUS_OPS = {"case_pause": "pause", "case_resume": "resume", "case_close": "terminate"}


class CloudflareConnector(Connector):
    kind = "cloudflare"
    label = "Cloudflare"
    # No assignees upstream: claim, release and assign route inside the inbox only.
    task_actions = frozenset({"claim", "release", "assign", "complete", "comment"})
    case_actions = frozenset({"pause", "resume", "close"})
    instead = {
        "cancel": "Cloudflare cannot cancel one waiting step; an admin can close (terminate) "
        "the instance.",
    }

    def _base(self, workflow: str) -> str:
        return f"/accounts/{self.config.watch.get('account_id', '')}/workflows/{workflow}/instances"

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.config.credentials.get('token', '')}"}
        body = call(self.client, method, path, headers=headers, **kwargs)
        if not isinstance(body, dict) or not body.get("success", False):
            errors = (body or {}).get("errors") if isinstance(body, dict) else None
            raise ConnectorError(f"Cloudflare said no: {errors}", permanent=False)
        return body

    def workflows(self) -> list[str]:
        return list(self.config.watch.get("workflows") or [])

    # -- reading -------------------------------------------------------------------------------

    def pages(self, cursor: dict) -> Iterator[Page]:
        since = parse_time(cursor.get("since"))
        walk_started = cursor.get("walk_started") or timezone.now().isoformat()
        workflows = self.workflows()
        start = cursor.get("workflow")
        if start in workflows:
            workflows = workflows[workflows.index(start) :]
        page_cursor = cursor.get("cursor")
        for index, workflow in enumerate(workflows):
            while True:
                params = {"per_page": PER_PAGE, "direction": "asc"}
                if page_cursor:
                    params["cursor"] = page_cursor
                body = self._call("GET", self._base(workflow), params=params)
                items = body.get("result") or []
                page_cursor = (body.get("result_info") or {}).get("cursor")
                cases, tasks, rejected = [], [], []

                def read(item: dict, workflow=workflow, cases=cases, tasks=tasks) -> None:
                    modified = parse_time(item.get("modified_on"))
                    if (
                        item.get("status") in ENDED
                        and since
                        and modified
                        and modified < since - OVERLAP
                    ):
                        return  # ended before the last walk: nothing new to read
                    detail = self._call("GET", f"{self._base(workflow)}/{item['id']}")["result"]
                    case = self.case(workflow, item, detail)
                    tasks.extend(self.tasks(workflow, item, detail))
                    cases.append(case)

                self.read_items("case", items, read, rejected)
                more = bool(page_cursor) and len(items) == PER_PAGE
                if more:
                    next_cursor = {
                        "since": cursor.get("since"),
                        "walk_started": walk_started,
                        "workflow": workflow,
                        "cursor": page_cursor,
                    }
                elif index + 1 < len(workflows):
                    next_cursor = {
                        "since": cursor.get("since"),
                        "walk_started": walk_started,
                        "workflow": workflows[index + 1],
                    }
                else:
                    next_cursor = {"since": walk_started}
                yield Page(cases=cases, tasks=tasks, cursor=next_cursor, rejected=rejected)
                if not more:
                    page_cursor = None
                    break

    def case(self, workflow: str, item: dict, detail: dict) -> CaseRecord:
        status = item.get("status", "")
        record = CaseRecord(
            external_id=item["id"],
            name=item["id"],
            process_key=workflow,
            status=STATUS.get(status, "running"),
            upstream_status=status,
            started_by=item.get("trigger_source") or "",
            started_at=parse_time(item.get("started_on") or item.get("created_on")),
            ended_at=parse_time(item.get("ended_on")),
            payload={"summary": item},
        )
        if detail:
            params = detail.get("params") or {}
            record.name = str(params.get("title") or params.get("request_id") or item["id"])
            steps = detail.get("steps") or []
            record.stages = [self.stage(i, s) for i, s in enumerate(steps) if s.get("name")]
            record.history = [
                {k: s.get(k) for k in ("type", "name", "start", "end", "success", "finished")}
                for s in steps
            ]
            record.progress_done = sum(1 for s in steps if s.get("end"))
            record.progress_total = detail.get("step_count") or len(steps)
            record.payload = {
                "summary": item,
                "params": params,
                "error": detail.get("error"),
                "output": detail.get("output"),
            }
        return record

    @staticmethod
    def stage(position: int, step: dict) -> StageRecord:
        if step.get("end"):
            status = (
                "Completed"
                if step.get("success", True) is not False and not step.get("error")
                else "Failed"
            )
        else:
            status = "Waiting" if step.get("type") == "waitForEvent" else "In Progress"
        return StageRecord(
            external_id=f"{step.get('type')}:{step.get('name')}:{position}",
            name=step.get("name") or step.get("type"),
            position=position,
            status=status,
            started_at=parse_time(step.get("start")),
            ended_at=parse_time(step.get("end")),
            tasks=[[{"name": step.get("name"), "type": step.get("type"), "status": status}]],
        )

    def tasks(self, workflow: str, item: dict, detail: dict) -> list[TaskRecord]:
        params = detail.get("params") or {}
        watch = self.config.watch
        group = params.get(watch.get("group_param", "approver_group")) or params.get("group")
        assignee = params.get(watch.get("assignee_param", "assignee"))
        ended = item.get("status") in ENDED
        out = []
        for step in detail.get("steps") or []:
            if step.get("type") != "waitForEvent":
                continue
            if step.get("finished"):
                status = "DONE"
            elif step.get("error") or ended:
                status = "CANCELLED"
            else:
                status = "ASSIGNED" if assignee else "UNASSIGNED"
            results = {}
            if status == "DONE" and step.get("output"):
                try:
                    output = (
                        json.loads(step["output"])
                        if isinstance(step["output"], str)
                        else step["output"]
                    )
                except ValueError:
                    output = {"output": step["output"]}
                if isinstance(output, dict):
                    results = {
                        k: {"type": _type_of(v), "value": v}
                        for k, v in output.items()
                        if isinstance(v, str | int | float | bool)
                    }
            out.append(
                TaskRecord(
                    external_id=f"{item['id']}:{step['name']}",
                    wf_run_id=item["id"],
                    case_external_id=item["id"],
                    task_type=step["name"],
                    title=str(params.get("title") or _fallback_title(workflow, step["name"])),
                    description=f"Cloudflare workflow {workflow} waits for the event {step['name']!r}.",
                    status=status,
                    upstream_status=item.get("status", ""),
                    assignee=assignee,
                    group=group,
                    created_at=parse_time(step.get("start")),
                    fields=watch.get("fields") or APPROVAL_FIELDS,
                    context={k: v for k, v in params.items() if k not in ("title",)},
                    results=results,
                    message="The instance ended" if status == "CANCELLED" else "",
                )
            )
        return out

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        for workflow in self.workflows():
            try:
                detail = self._call("GET", f"{self._base(workflow)}/{wf_run_id}")["result"]
            except ConnectorError as exc:
                if exc.status == 404:
                    continue
                raise
            item = {"id": wf_run_id, "status": detail.get("status")}
            for record in self.tasks(workflow, item, detail):
                if record.external_id == external_id:
                    return record
        return None

    def step_output(self, case_external_id: str, name: str, step_type: str) -> dict:
        workflow = self.workflows()[0] if self.workflows() else ""
        return self._call(
            "GET",
            f"{self._base(workflow)}/{case_external_id}/step",
            params={"name": name, "type": step_type},
        )["result"]

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        workflows = [process_key] if process_key else self.workflows()
        for workflow in workflows:
            try:
                detail = self._call("GET", f"{self._base(workflow)}/{external_id}")["result"]
            except ConnectorError as exc:
                if exc.status == 404:
                    continue
                raise
            status = detail.get("status", "")
            return CaseRecord(
                external_id=external_id,
                status=STATUS.get(status, "running"),
                upstream_status=status,
            )
        return None

    # -- writing -------------------------------------------------------------------------------

    def _workflow_of(self, payload: dict) -> str:
        return payload.get("process_key") or (self.workflows() or [""])[0]

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        if action in CASE_STATUS_OPS:
            path = f"{self._base(self._workflow_of(payload))}/{payload['external_id']}/status"
            self._call("PATCH", path, json={"status": CASE_STATUS_OPS[action]})
            return
        if action == "complete":
            step = payload["external_id"].split(":", 1)[1]
            event = (self.config.watch.get("event_types") or {}).get(step, step)
            values = {k: v["value"] for k, v in (payload.get("results") or {}).items()}
            values["completed_by"] = payload.get("email") or payload.get("user")
            path = f"{self._base(self._workflow_of(payload))}/{payload['wf_run_id']}/events/{event}"
            self._call("POST", path, json=values)
            return
        if action in ("claim", "release", "assign"):
            return  # Cloudflare has no assignees: routing lives in the inbox only
        raise UnsupportedAction(f"Cloudflare cannot {action} a single waiting step")

    def start_case(self, params: dict) -> list[dict]:
        """Create one instance (``params`` dict) or a batch (``instances`` list)."""
        workflow = params.get("workflow") or (self.workflows() or [""])[0]
        if "instances" in params:
            return self._call("POST", f"{self._base(workflow)}/batch", json=params["instances"])[
                "result"
            ]
        body = {k: params[k] for k in ("instance_id", "params") if k in params}
        return [self._call("POST", self._base(workflow), json=body)["result"]]


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "DOUBLE"
    return "STRING"


def _fallback_title(workflow: str, step_name: str) -> str:
    """A title for an instance started without one: 'Manager approval (Approvals)', not the
    engine's 'approvals: manager-approval'."""
    return f"{words(step_name)} ({words(workflow)})"
