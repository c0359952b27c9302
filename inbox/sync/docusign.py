"""DocuSign Maestro workflow instances (upstream README §2): cases only, no human tasks.

The list has no paging parameters; each poll reads it whole and the importer skips unchanged
instances. Progress is ``last_completed_step`` of ``total_steps``; the history has one row per
completed step (the engine names only the last one). Cancel is the only per-instance action.

Source settings: ``watch = {account_id, workflow_ids: [...]}``, ``credentials = {token}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from inbox.sync.base import (
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    Rejected,
    UnsupportedAction,
    parse_time,
)
from inbox.sync.http import call

# workflow_status is free text upstream (inferred set); unknown values count as running.
STATUS = {
    "in progress": "running",
    "created": "pending",
    "completed": "completed",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "failed": "failed",
}


class DocuSignConnector(Connector):
    kind = "docusign"
    label = "DocuSign"
    task_actions = frozenset({"comment"})
    case_actions = frozenset({"close"})
    instead = {
        "case:pause": "DocuSign pauses whole workflows only, not one instance; pause the "
        "workflow in DocuSign.",
        "case:resume": "DocuSign resumes whole workflows only, not one instance; resume the "
        "workflow in DocuSign.",
    }

    def _base(self, workflow_id: str) -> str:
        account = self.config.watch.get("account_id", "")
        return f"/v1/accounts/{account}/workflows/{workflow_id}/instances"

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.config.credentials.get('token', '')}"}

    def pages(self, cursor: dict) -> Iterator[Page]:
        """One page per workflow; the cursor names the next workflow, so a failed poll resumes
        there."""
        workflows = list(self.config.watch.get("workflow_ids") or [])
        if cursor.get("workflow") in workflows:
            workflows = workflows[workflows.index(cursor["workflow"]) :]
        for index, workflow_id in enumerate(workflows):
            body = call(self.client, "GET", self._base(workflow_id), headers=self._headers())
            rejected: list[Rejected] = []
            cases = self.read_items(
                "case",
                body.get("data") or [],
                lambda item, w=workflow_id: self.case(w, item),
                rejected,
            )
            last = index + 1 == len(workflows)
            yield Page(
                cases=cases,
                cursor={} if last else {"workflow": workflows[index + 1]},
                rejected=rejected,
            )

    def case(self, workflow_id: str, item: dict) -> CaseRecord:
        raw = item.get("workflow_status") or ""
        done = item.get("last_completed_step")
        # one row per completed step (4/6 done: steps 1-4); the engine names only the last one
        count = done if isinstance(done, int) and not isinstance(done, bool) and done > 0 else 0
        history = [
            {
                "step": step,
                "name": item.get("last_completed_step_name") if step == count else "",
                "status": "Completed",
            }
            for step in range(1, min(count, 100) + 1)
        ]
        return CaseRecord(
            external_id=item["id"],
            name=item.get("name") or item["id"],
            process_key=workflow_id,
            status=STATUS.get(raw.strip().lower(), "running"),
            upstream_status=raw,
            started_by=item.get("started_by_name") or item.get("started_by") or "",
            started_at=parse_time(item.get("started_at")),
            ended_at=parse_time(item.get("ended_at") or item.get("canceled_at")),
            progress_done=done,
            progress_total=item.get("total_steps"),
            payload=item,
            history=history,
        )

    def _workflow_of(self, process_key: str | None) -> str:
        return process_key or (self.config.watch.get("workflow_ids") or [""])[0]

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        try:
            item = call(
                self.client,
                "GET",
                f"{self._base(self._workflow_of(process_key))}/{external_id}",
                headers=self._headers(),
            )
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        raw = (item or {}).get("workflow_status") or ""
        return CaseRecord(
            external_id=external_id,
            status=STATUS.get(raw.strip().lower(), "running"),
            upstream_status=raw,
        )

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        if action != "case_close":
            raise UnsupportedAction(
                "DocuSign pauses and resumes whole workflows only, not one instance"
            )
        workflow_id = self._workflow_of(payload.get("process_key"))
        call(
            self.client,
            "POST",
            f"{self._base(workflow_id)}/{payload['external_id']}/actions/cancel",
            headers=self._headers(),
        )
