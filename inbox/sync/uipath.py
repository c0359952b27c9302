"""UiPath Maestro cases and Orchestrator action tasks (upstream README §1).

Case instances are listed with ``nextPage`` tokens (no server-side "updated since" filter, so
every poll walks the list); the stages (case-json + element executions, as the SDK's getStages
derives them) and the execution history are fetched only for instances updated since the last
walk. Action tasks come from the OData ``GetTasksAcrossFolders`` query, filtered on
``LastModificationTime`` and paged with ``$top``/``$skip``; each is tagged with its case id.

Source settings: ``watch = {org, tenant, folder_key, folder_id, process_keys?, stages?: true,
fields?: [...]}``, ``credentials = {token}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from inbox.sync.base import (
    APPROVAL_FIELDS,
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    Rejected,
    StageRecord,
    TaskRecord,
    UnsupportedAction,
    memo,
    parse_time,
)
from inbox.sync.http import call

INSTANCE_PAGE = 1000  # the most pageSize allows
# With stages, each instance costs two more requests: smaller pages commit (and so resume)
# in smaller steps when the engine is flaky.
INSTANCE_PAGE_WITH_STAGES = 50
TASK_PAGE = 1000  # the most $top allows
OVERLAP = timedelta(minutes=2)  # re-read a little before the watermark: clocks drift
TASKS_QUERY = "/odata/Tasks/UiPath.Server.Configuration.OData.GetTasksAcrossFoldersForAdmin"
CASE_STATUS = {
    "Running": "running",
    "Resuming": "running",
    "Retrying": "running",
    "Upgrading": "running",
    "Paused": "paused",
    "Pausing": "paused",
    "Completed": "completed",
    "Faulted": "failed",
    "Cancelled": "cancelled",
    "Canceling": "cancelled",
    "Pending": "pending",
    "": "pending",
}
TASK_STATUS = {"Unassigned": "UNASSIGNED", "Pending": "ASSIGNED", "Completed": "DONE"}
TASK_STATUS_BY_NUMBER = {0: "Unassigned", 1: "Pending", 2: "Completed"}
PRIORITY = {"Low": 0, "Medium": 1, "High": 2, "Critical": 3}
COMPLETE_PATHS = {
    "FormTask": "/forms/TaskForms/CompleteTask",
    "AppTask": "/tasks/AppTasks/CompleteAppTask",
}
CASE_ACTIONS = {"case_pause": "pause", "case_resume": "resume", "case_close": "cancel"}


# A UTC time as _iso writes it (and the engine sends it) that is surely a real date: such
# texts compare as their times do.
_PLAIN_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z"
)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class UiPathConnector(Connector):
    kind = "uipath"
    label = "UiPath"
    task_actions = frozenset({"claim", "release", "assign", "complete", "comment"})
    case_actions = frozenset({"pause", "resume", "close"})
    instead = {
        "cancel": "UiPath cannot cancel one action task; an admin can close the case.",
    }

    def _path(self, service: str, path: str) -> str:
        watch = self.config.watch
        return f"/{watch.get('org', 'acme')}/{watch.get('tenant', 'prod')}/{service}{path}"

    def _headers(self, *, folder_key: bool = False, folder_id: bool = False) -> dict:
        headers = {"Authorization": f"Bearer {self.config.credentials.get('token', '')}"}
        if folder_key:
            headers["X-UIPATH-FolderKey"] = str(self.config.watch.get("folder_key", ""))
        if folder_id:
            headers["X-UIPATH-OrganizationUnitId"] = str(self.config.watch.get("folder_id", ""))
        return headers

    def _pims(self, method: str, path: str, *, folder: bool = True, **kwargs):
        return call(
            self.client,
            method,
            self._path("pims_", "/api/v1" + path),
            headers=self._headers(folder_key=folder),
            **kwargs,
        )

    def _orchestrator(self, method: str, path: str, **kwargs):
        return call(
            self.client,
            method,
            self._path("orchestrator_", path),
            headers=self._headers(folder_id=True),
            **kwargs,
        )

    # -- reading -------------------------------------------------------------------------------

    def pages(self, cursor: dict) -> Iterator[Page]:
        """Instances first, then tasks modified since the last complete walk.

        Instance pages are remembered by digest (``memo_known``: per request, the digest of
        the body the last complete walk got and the next page's token): a page that comes
        back byte for byte is not parsed (nothing in it changed, and everything in it was
        imported then). The digests of the walk under way go in ``memo_fresh`` until its
        instance phase is complete."""
        since = parse_time(cursor.get("since"))
        walk_started = cursor.get("walk_started") or _iso(timezone.now())
        base = {"since": cursor.get("since"), "walk_started": walk_started}
        known = memo(cursor.get("memo_known"))
        if cursor.get("phase", "instances") == "instances":
            fresh = memo(cursor.get("memo_fresh"))
            yield from self._instance_pages(
                cursor.get("nextPage"), int(cursor.get("key", 0)), since, base, known, fresh
            )
            known = fresh
            skip = 0
        else:
            skip = int(cursor.get("skip", 0))
            if "memo_fresh" in cursor:  # resumed right after the instance phase
                known = memo(cursor.get("memo_fresh"))
        yield from self._task_pages(skip, since, {**base, "memo_known": known})

    def _instance_pages(
        self, token, first_key: int, since, base, known: dict, fresh: dict
    ) -> Iterator[Page]:
        """Instances of each watched process key (``key``: its index in the cursor);
        ``known``/``fresh``: see ``pages``."""
        process_keys = self.config.watch.get("process_keys") or [None]
        # The instance list is walked whole every poll: an updatedAt in the engine's own format
        # that sorts before the watermark's text is older without being parsed.
        older = _iso(since - OVERLAP) if since is not None else ""

        def changed(item: dict) -> bool:
            raw = item.get("updatedAt")
            if type(raw) is str and raw < older and _PLAIN_TIME.fullmatch(raw):
                return False
            updated = parse_time(raw)
            return since is None or updated is None or updated >= since - OVERLAP

        for key_index, process_key in enumerate(process_keys):
            if key_index < first_key:
                continue
            while True:
                size = (
                    INSTANCE_PAGE_WITH_STAGES
                    if self.config.watch.get("stages", True)
                    else INSTANCE_PAGE
                )
                params = {"processType": "CaseManagement", "pageSize": size}
                if process_key:
                    params["processKey"] = process_key
                if token:
                    params["nextPage"] = token
                request = f"{key_index}:{process_key or ''}:{token or ''}:{size}"
                seen = known.get(request)
                digest, body = self._pims(
                    "GET",
                    "/instances",
                    folder=False,
                    params=params,
                    known=(seen[0],) if seen else (),
                )
                rejected: list[Rejected] = []
                cases = []
                if seen and digest == seen[0]:
                    token = seen[1]  # the same body: the same instances, the same next page
                else:
                    token = body.get("nextPage") or None
                    # Unchanged instances are skipped (and their stages not fetched).
                    cases = [
                        case
                        for case in self.read_items(
                            "case",
                            body.get("instances") or [],
                            lambda item: self.case(item) if changed(item) else None,
                            rejected,
                            "instanceId",
                        )
                        if case is not None
                    ]
                fresh[request] = [digest, token]  # the caller's dict: the tasks phase reads it
                if token:
                    cursor = {**base, "phase": "instances", "key": key_index, "nextPage": token}
                elif key_index + 1 < len(process_keys):
                    cursor = {**base, "phase": "instances", "key": key_index + 1}
                else:
                    cursor = {**base, "phase": "tasks", "skip": 0}
                cursor.update(memo_known=known, memo_fresh=dict(fresh))  # as of this page
                yield Page(cases=cases, cursor=cursor, rejected=rejected)
                if not token:
                    break

    def _task_pages(self, skip, since, base) -> Iterator[Page]:
        clauses = ["(IsDeleted eq false)"] if since is None else []
        if since is not None:
            clauses.append(f"LastModificationTime gt {_iso(since - OVERLAP)}")
        while True:
            params = {
                "$top": TASK_PAGE,
                "$skip": skip,
                "$count": "true",
                "$orderby": "Id",
                "$expand": "AssignedToUser",
            }
            if clauses:
                params["$filter"] = " and ".join(clauses)
            body = self._orchestrator("GET", TASKS_QUERY, params=params)
            items = body.get("value") or []
            rejected: list[Rejected] = []
            records = self.read_items("task", items, self.task, rejected)
            skip += len(items)
            done = len(items) < TASK_PAGE
            cursor = (
                {"since": base["walk_started"], "memo_known": base["memo_known"]}
                if done
                else {**base, "phase": "tasks", "skip": skip}
            )
            yield Page(tasks=records, cursor=cursor, rejected=rejected)
            if done:
                return

    def case(self, item: dict) -> CaseRecord:
        status = item.get("latestRunStatus") or ""
        record = CaseRecord(
            external_id=item["instanceId"],
            name=item.get("instanceDisplayName") or item.get("externalId") or item["instanceId"],
            process_key=item.get("processKey") or "",
            status=CASE_STATUS.get(status, "running"),
            upstream_status=status,
            started_by=item.get("startedByUser") or "",
            started_at=parse_time(item.get("startedTimeUtc")),
            ended_at=parse_time(item.get("completedTimeUtc")),
            payload=item,
        )
        if self.config.watch.get("stages", True):
            record.stages, record.history = self.stages(item["instanceId"])
            done = [s for s in record.stages if s.status == "Completed"]
            record.progress_done, record.progress_total = len(done), len(record.stages)
        return record

    def stages(self, instance_id: str) -> tuple[list[StageRecord], list]:
        """Stages as the SDK's getStages derives them, and the element executions."""
        definition = self._pims("GET", f"/cases/{instance_id}/case-json")
        executions = self._pims("GET", f"/element-executions/case-instances/{instance_id}")
        runs = {e["elementId"]: e for e in executions.get("elementExecutions", [])}
        stages = []
        for node in definition.get("nodes", []):
            if node.get("type") == "case-management:Trigger":
                continue
            data = node.get("data") or {}
            run = runs.get(node["id"], {})
            tasks = [
                [
                    {
                        "id": t.get("id"),
                        "name": t.get("displayName"),
                        "type": t.get("type"),
                        "status": runs.get(t.get("elementId"), {}).get("status", "Not Started"),
                        "startedTime": runs.get(t.get("elementId"), {}).get("startedTimeUtc"),
                        "completedTime": runs.get(t.get("elementId"), {}).get("completedTimeUtc"),
                    }
                    for t in lane
                ]
                for lane in data.get("tasks", [])
            ]
            stages.append(
                StageRecord(
                    external_id=node["id"],
                    name=data.get("label") or node["id"],
                    position=len(stages),
                    status=run.get("status", "Not Started"),
                    sla=data.get("sla"),
                    started_at=parse_time(run.get("startedTimeUtc")),
                    ended_at=parse_time(run.get("completedTimeUtc")),
                    tasks=tasks,
                )
            )
        history = [
            {
                "element_id": e.get("elementId"),
                "name": e.get("elementName"),
                "type": e.get("elementType"),
                "status": e.get("status"),
                "started_at": e.get("startedTimeUtc"),
                "ended_at": e.get("completedTimeUtc"),
                "parent": e.get("parentElementId"),
                "link": e.get("externalLink"),
            }
            for e in executions.get("elementExecutions", [])
        ]
        return stages, history

    def task(self, item: dict) -> TaskRecord:
        status = item.get("Status")
        if isinstance(status, int):
            status = TASK_STATUS_BY_NUMBER.get(status, "Unassigned")
        user = item.get("AssignedToUser") or {}
        tags = [t.get("DisplayName") or t.get("Name") for t in item.get("Tags") or []]
        title = item.get("Title") or f"Task {item['Id']}"
        local_status = (
            "CANCELLED" if item.get("IsDeleted") else TASK_STATUS.get(status, "UNASSIGNED")
        )
        if local_status == "ASSIGNED" and not user:
            local_status = "UNASSIGNED"
        sla = item.get("TaskSlaDetail") or {}
        return TaskRecord(
            external_id=str(item["Id"]),
            wf_run_id=tags[0] if tags else str(item.get("Key") or item["Id"]),
            case_external_id=tags[0] if tags else None,
            task_type=title.split(":")[0].strip() or str(item.get("Type") or "task"),
            title=title,
            status=local_status,
            upstream_status=str(status or ""),
            assignee=user.get("EmailAddress") or user.get("UserName"),
            group=item.get("TaskCatalogName"),
            priority=PRIORITY.get(item.get("Priority"), 1),
            due_at=parse_time(sla.get("ExpiryTime")),
            created_at=parse_time(item.get("CreationTime")),
            fields=self.config.watch.get("fields") or APPROVAL_FIELDS,
            context={
                **(item.get("Data") or {}),
                "uipath_task_type": item.get("Type"),
                "uipath_key": item.get("Key"),
            },
            results={k: {"type": "STRING", "value": v} for k, v in (item.get("Data") or {}).items()}
            if local_status == "DONE" and item.get("Action")
            else {},
        )

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        try:
            item = self._orchestrator(
                "GET", f"/odata/Tasks({int(external_id)})", params={"$expand": "AssignedToUser"}
            )
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        return self.task(item)

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        try:
            item = self._pims("GET", f"/instances/{external_id}")
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        status = item.get("latestRunStatus") or ""
        return CaseRecord(
            external_id=external_id,
            status=CASE_STATUS.get(status, "running"),
            upstream_status=status,
        )

    # -- writing -------------------------------------------------------------------------------

    def _assign(self, fn: str, body: dict) -> None:
        result = self._orchestrator(
            "POST", f"/odata/Tasks/UiPath.Server.Configuration.OData.{fn}", json=body
        )
        failures = (result or {}).get("value") or []
        if failures:
            raise ConnectorError(
                f"UiPath refused {fn}: {failures[0].get('ErrorMessage')}", permanent=True
            )

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        if action in CASE_ACTIONS:
            self._pims(
                "POST",
                f"/instances/{payload['external_id']}/{CASE_ACTIONS[action]}",
                json={"comment": payload.get("comment") or ""},
            )
            return
        task_id = int(payload["external_id"])
        if action == "complete":
            values = {k: v["value"] for k, v in (payload.get("results") or {}).items()}
            # Who decided travels in the task data (the token is the inbox's service account).
            values["completed_by"] = payload.get("email") or payload.get("user") or ""
            task_type = (payload.get("context") or {}).get("uipath_task_type") or "ExternalTask"
            approved = values.get("approved")
            self._orchestrator(
                "POST",
                COMPLETE_PATHS.get(task_type, "/tasks/GenericTasks/CompleteTask"),
                json={
                    "taskId": task_id,
                    "type": task_type,
                    "data": values,
                    "action": {True: "approve", False: "reject"}.get(approved, "submit"),
                },
            )
        elif action in ("claim", "assign") and payload.get("user"):
            self._assign(
                "AssignTasks",
                {
                    "taskAssignments": [
                        {
                            "TaskId": task_id,
                            "UserNameOrEmail": payload.get("email") or payload["user"],
                        }
                    ]
                },
            )
        elif action in ("release", "assign"):
            self._assign("UnassignTasks", {"taskIds": [task_id]})
        else:
            raise UnsupportedAction(f"UiPath action tasks cannot be {action}ed from the inbox")
