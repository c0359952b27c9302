"""LittleHorse user-tasks bridge (upstream README §5): user task runs map one to one to tasks.

The bridge lists admin tasks per task-def name (``type`` is required), with ``bookmark`` paging
and no "modified since" filter, so each poll walks the listing and the importer skips what did
not change. Field definitions come from one task's detail per type; a finished task's results
from its own detail, fetched only when the importer sees it new or changed (``hydrate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from inbox.sync.base import (
    BAD_ITEM_ERRORS,
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    Rejected,
    TaskRecord,
    excerpt,
    parse_time,
)
from inbox.sync.http import call

PAGE_SIZE = 500


class LittleHorseConnector(Connector):
    kind = "littlehorse"
    label = "LittleHorse"
    task_actions = frozenset({"claim", "release", "assign", "complete", "cancel", "comment"})
    case_actions = frozenset()
    instead = {
        f"case:{action}": f"LittleHorse workflow runs cannot be {done} from the inbox; use "
        "LittleHorse's own tools."
        for action, done in (("pause", "paused"), ("resume", "resumed"), ("close", "closed"))
    }

    @property
    def tenant(self) -> str:
        return self.config.watch.get("tenant", "default")

    def _url(self, path: str) -> str:
        return f"/{self.tenant}{path}"

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.config.credentials.get('token', '')}"}

    def _get(self, path: str, **params):
        return call(self.client, "GET", self._url(path), params=params, headers=self._headers())

    def _post(self, path: str, body=None, *, idempotency_key: str = ""):
        headers = self._headers()
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return call(self.client, "POST", self._url(path), json=body, headers=headers)

    def task_types(self) -> list[str]:
        watched = self.config.watch.get("task_types")
        if watched:
            return list(watched)
        names, bookmark = [], None
        while True:
            params = {"limit": PAGE_SIZE, **({"bookmark": bookmark} if bookmark else {})}
            body = self._get("/admin/taskTypes", **params)
            names += body.get("userTaskDefNames", [])
            bookmark = body.get("bookmark")
            if not bookmark:
                return names

    # -- reading -------------------------------------------------------------------------------

    def pages(self, cursor: dict) -> Iterator[Page]:
        """Walk every watched type; the cursor remembers (type, bookmark) to resume a walk."""
        types = self.task_types()
        start_type, bookmark = cursor.get("type"), cursor.get("bookmark")
        if start_type in types:
            types = types[types.index(start_type) :]
        else:
            bookmark = None
        self._fields: dict[str, list] = {}
        for index, task_type in enumerate(types):
            while True:
                params = {"type": task_type, "limit": PAGE_SIZE}
                if bookmark:
                    params["bookmark"] = bookmark
                body = self._get("/admin/tasks", **params)
                bookmark = body.get("bookmark")
                if bookmark:
                    next_cursor = {"type": task_type, "bookmark": bookmark}
                elif index + 1 < len(types):
                    next_cursor = {"type": types[index + 1]}
                else:
                    next_cursor = {}
                rejected: list[Rejected] = []
                records = self.read_items(
                    "task", body.get("userTasks") or [], self.record, rejected
                )
                yield Page(
                    cases=self.runs(records), tasks=records, cursor=next_cursor, rejected=rejected
                )
                if not bookmark:
                    break

    @staticmethod
    def runs(records: list[TaskRecord]) -> list[CaseRecord]:
        """One case per workflow run. The bridge does not expose runs, so a run's status is
        derived from its user tasks on the page: open while one is open."""
        by_run: dict[str, list[TaskRecord]] = {}
        for record in records:
            by_run.setdefault(record.wf_run_id, []).append(record)
        cases = []
        for run_id, tasks in by_run.items():
            statuses = {t.status for t in tasks}
            if statuses & {"UNASSIGNED", "ASSIGNED"}:
                status = "running"
            elif statuses == {"CANCELLED"}:
                status = "cancelled"
            else:
                status = "completed"
            first = min(tasks, key=lambda t: t.created_at or datetime.max.replace(tzinfo=UTC))
            cases.append(
                CaseRecord(
                    external_id=run_id,
                    name=f"{first.task_type} · {run_id}",
                    process_key=first.task_type,
                    status=status,
                    upstream_status=status,
                    started_at=first.created_at,
                )
            )
        return cases

    def record(self, item: dict, detail: dict | None = None) -> TaskRecord:
        detail = detail or {}
        user, group = item.get("user") or {}, item.get("userGroup") or {}
        notes = item.get("notes") or ""
        task_type = item.get("userTaskDefName", "")
        return TaskRecord(
            external_id=item["id"],
            wf_run_id=item["wfRunId"],
            task_type=task_type,
            title=notes.splitlines()[0][:200]
            if notes
            else task_type.replace("-", " ").capitalize(),
            description=notes,
            status=item.get("status", "UNASSIGNED"),
            upstream_status=item.get("status", ""),
            assignee=user.get("email") or user.get("username"),
            group=group.get("name"),
            created_at=parse_time(item.get("scheduledTime")),
            fields=[_field(f) for f in detail.get("fields", [])],
            results=detail.get("results") or {},
            case_external_id=item["wfRunId"],
        )

    def hydrate(self, records: list[TaskRecord], rejected: list[Rejected]) -> list[TaskRecord]:
        """Add field definitions (one detail per type) and, for finished tasks, results.
        A task whose detail cannot be read is added to ``rejected``."""
        cache = getattr(self, "_fields", {})
        out = []
        for record in records:
            if record.status == "DONE" or record.task_type not in cache:
                detail = self._get(f"/admin/tasks/{record.wf_run_id}/{record.external_id}")
                try:
                    fields = [_field(f) for f in detail.get("fields", [])]
                    results = detail.get("results") or {}
                    if not isinstance(results, dict):
                        raise TypeError(f"results must be an object, not {results!r:.60}")
                except BAD_ITEM_ERRORS as exc:
                    reason = f"cannot read the task's detail: {exc.__class__.__name__}: {exc}"
                    rejected.append(
                        Rejected("task", record.external_id, reason[:500], excerpt(detail))
                    )
                    continue
                cache[record.task_type] = fields
                record.results = results
            record.fields = cache[record.task_type]
            out.append(record)
        self._fields = cache
        return out

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        try:
            detail = self._get(f"/admin/tasks/{wf_run_id}/{external_id}")
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        return self.record(detail, detail)

    # -- writing -------------------------------------------------------------------------------

    def user_id(self, username: str | None, email: str | None) -> str | None:
        """The bridge's id of a local user, looked up by username, then email."""
        for key, value in (("username", username), ("email", email)):
            if value:
                users = self._get("/admin/users", **{key: value, "max_results": 5})
                users = users.get("users", users) if isinstance(users, dict) else users
                for user in users or []:
                    if user.get(key) == value:
                        return user["id"]
        return None

    def _hand_to_decider(self, task: str, payload: dict, idempotency_key: str) -> None:
        """LittleHorse records who completed a task as its assigned user (the admin result
        route otherwise completes it as the service account): assign it to the person who
        decided first, keeping its group, unless the engine already shows them."""
        user_id = self.user_id(payload.get("user"), payload.get("email"))
        if not user_id:
            return
        detail = self._get(task)
        if (detail.get("user") or {}).get("id") == user_id or detail.get("status") in (
            "DONE",
            "CANCELLED",
        ):
            return
        body = {"userId": user_id}
        group = (detail.get("userGroup") or {}).get("id")
        if group:
            body["userGroup"] = group
        self._post(f"{task}/assign", body, idempotency_key=f"{idempotency_key}:decider")

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        task = f"/admin/tasks/{payload['wf_run_id']}/{payload['external_id']}"
        if action == "complete":
            self._hand_to_decider(task, payload, idempotency_key)
            self._post(
                f"{task}/result", payload.get("results", {}), idempotency_key=idempotency_key
            )
        elif action == "cancel":
            self._post(f"{task}/cancel", idempotency_key=idempotency_key)
        elif action in ("claim", "assign"):
            user_id = self.user_id(payload.get("user"), payload.get("email"))
            body = {}
            if user_id:
                body["userId"] = user_id
            if payload.get("group"):
                body["userGroup"] = payload["group"]
            if not body:
                raise ConnectorError(
                    f"{payload.get('user')!r} is not a LittleHorse user", permanent=True
                )
            self._post(f"{task}/assign", body, idempotency_key=idempotency_key)
        elif action == "release":
            # The bridge has no unassign: hand the task back to its group.
            group = payload.get("group")
            if group:
                self._post(f"{task}/assign", {"userGroup": group}, idempotency_key=idempotency_key)
        else:
            super().push(action, payload, idempotency_key=idempotency_key)


def _field(raw: dict) -> dict:
    field_type = raw.get("type", "STRING")
    return {
        "name": raw["name"],
        "display_name": raw.get("displayName") or raw["name"],
        "description": raw.get("description") or "",
        "type": field_type
        if field_type in ("STRING", "INTEGER", "DOUBLE", "BOOLEAN")
        else "STRING",
        "required": bool(raw.get("required")),
    }
