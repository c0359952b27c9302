"""LittleHorse user-tasks bridge (upstream README §5): user task runs map one to one to tasks.

The bridge lists admin tasks per task-def name (``type`` is required), with ``bookmark`` paging
and no "modified since" filter, so each poll walks the listing and the importer skips what did
not change. Field definitions come from one task's detail per type; a finished task's results
from its own detail, fetched only when the importer sees it new or changed (``hydrate``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from inbox.sync.base import (
    BAD_ITEM_ERRORS,
    CaseRecord,
    Connector,
    ConnectorError,
    Page,
    Rejected,
    TaskRecord,
    excerpt,
    memo,
    parse_time,
    raw_id,
)
from inbox.sync.http import call

PAGE_SIZE = 1000  # the most the bridge's limit allows
NEW = "new"  # the pass that lists tasks scheduled since the last walk, whatever their status
PASSES = ("UNASSIGNED", "ASSIGNED", NEW)
OVERLAP = timedelta(minutes=2)  # re-read a little before the watermark: clocks drift
RESUMED_WALK_WINDOW = timedelta(days=1)
DETAIL_WORKERS = 8  # concurrent detail requests while hydrating a page
AHEAD_LIMIT = 5_000  # details held that were fetched ahead (about ten pages' worth)


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
        """The first walk lists every task of every watched type (``{type, bookmark}``
        cursors). Once it is complete, a walk lists only what can still change: per type the
        open tasks (``UNASSIGNED``, then ``ASSIGNED``) and every task scheduled since the last
        walk began (new ones, finished or not); done and cancelled tasks are final. Its last
        page carries ``listed``: open local tasks missing from it were finished (or removed)
        upstream and are looked up one by one by the poller."""
        types = self.task_types()
        self._fields: dict[str, list] = {}
        self._full = "since" not in cursor  # details are fetched ahead in a full walk only
        if self._full:
            since = yield from self._full_walk(types, cursor)
            self._full = False
            # The first open-only walk follows at once, in the same poll: it lists the open
            # tasks just imported (nothing to write) and remembers its pages' digests, so the
            # next poll that finds nothing new skips those pages unparsed.
            cursor = {"since": since}
        yield from self._open_walk(types, cursor)

    def _open_walk(self, types: list[str], cursor: dict) -> Iterator[Page]:
        """Per type, the open tasks and the tasks scheduled since ``cursor["since"]``
        (see ``pages``)."""
        started = datetime.now(UTC)
        since = cursor["since"]
        walk_started = cursor.get("walk_started") or _iso(started)
        passes = [(t, p) for t in types for p in PASSES]
        resumed = (cursor.get("type"), cursor.get("pass")) in passes
        first = passes.index((cursor["type"], cursor["pass"])) if resumed else 0
        bookmark = cursor.get("bookmark") if resumed else None
        listed: set[str] | None = None if resumed else set()
        # Open-task pages that come back byte for byte (``memo_known``: per request, the
        # digest of the body the last complete walk got) only add their ids to ``listed``:
        # nothing in them changed, and the last walk imported them as they are.
        known = memo(cursor.get("memo_known"))
        fresh = memo(cursor.get("memo_fresh")) if resumed else {}
        if not passes:
            yield Page(cursor={"since": walk_started}, listed=listed)
            return
        for index in range(first, len(passes)):
            task_type, pass_name = passes[index]
            while True:
                params = {"type": task_type, "limit": PAGE_SIZE}
                if pass_name == NEW:
                    params["earliest_start_date"] = _iso(_parse_iso(since) - OVERLAP)
                else:
                    params["status"] = pass_name
                if bookmark:
                    params["bookmark"] = bookmark
                request = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
                digest, body = call(
                    self.client,
                    "GET",
                    self._url("/admin/tasks"),
                    params=params,
                    headers=self._headers(),
                    known=(),
                )
                same = pass_name != NEW and known.get(request, [None])[0] == digest
                if pass_name != NEW:
                    fresh = {**fresh, request: [digest]}
                bookmark = body.get("bookmark")
                base = {"since": since, "walk_started": walk_started}
                if bookmark:
                    next_cursor = {**base, "type": task_type, "pass": pass_name}
                    next_cursor["bookmark"] = bookmark
                elif index + 1 < len(passes):
                    following, following_pass = passes[index + 1]
                    next_cursor = {**base, "type": following, "pass": following_pass}
                else:
                    next_cursor = {"since": walk_started}
                if "walk_started" in next_cursor:
                    next_cursor.update(memo_known=known, memo_fresh=fresh)
                else:
                    next_cursor["memo_known"] = fresh
                if same:
                    page = Page(cursor=next_cursor)
                    if listed is not None:
                        listed.update(raw_id(item) for item in body.get("userTasks") or [])
                else:
                    page = self._page(body, next_cursor)
                if listed is not None:
                    listed.update(r.external_id for r in page.tasks)
                    listed.update(r.external_id for r in page.rejected)
                    if not bookmark and index + 1 == len(passes):
                        page.listed = listed
                yield page
                if not bookmark:
                    break

    def _full_walk(self, types: list[str], cursor: dict) -> Generator[Page, None, str]:
        """Every task of every type, resuming at ``{type, bookmark}``; the last page's cursor
        starts the open-only walks (``since``: when this walk began, or a day before this poll
        when it began in an earlier one), and is returned."""
        start_type, bookmark = cursor.get("type"), cursor.get("bookmark")
        now = datetime.now(UTC)
        if start_type in types:
            types = types[types.index(start_type) :]
            since = now - RESUMED_WALK_WINDOW
        else:
            bookmark = None
            since = now
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
                    next_cursor = {"since": _iso(since)}
                yield self._page(body, next_cursor)
                if not bookmark:
                    break
        if not types:
            yield Page(cursor={"since": _iso(since)})
        return _iso(since)

    def _page(self, body: dict, cursor: dict) -> Page:
        rejected: list[Rejected] = []
        records = self.read_items("task", body.get("userTasks") or [], self.record, rejected)
        return Page(cases=self.runs(records), tasks=records, cursor=cursor, rejected=rejected)

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
        A task whose detail cannot be read is added to ``rejected``.

        The details are fetched concurrently, at most ``DETAIL_WORKERS`` at a time (the
        source's ``watch["detail_workers"]`` overrides), each through the same bounded client
        and within the poll's deadline; the first request that fails fails the page, as
        when they were fetched one after another."""
        cache = getattr(self, "_fields", {})
        wanted, types = [], set(cache)
        for record in records:
            if record.status == "DONE" or record.task_type not in types:
                wanted.append(record)
                types.add(record.task_type)
        details = self._details(wanted)
        out = []
        for record in records:
            detail = details.get(record.external_id)
            if detail is not None:
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
            elif record.task_type not in cache:
                # Its type's one detail was rejected: fetch this task's own.
                details.update(self._details([record]))
                detail = details[record.external_id]
                try:
                    cache[record.task_type] = [_field(f) for f in detail.get("fields", [])]
                except BAD_ITEM_ERRORS as exc:
                    reason = f"cannot read the task's detail: {exc.__class__.__name__}: {exc}"
                    rejected.append(
                        Rejected("task", record.external_id, reason[:500], excerpt(detail))
                    )
                    continue
            record.fields = cache[record.task_type]
            out.append(record)
        self._fields = cache
        return out

    def fetch_details_ahead(self, records: list[TaskRecord]) -> None:
        """Fetch now the details ``hydrate`` would fetch for ``records`` (those of finished
        tasks; fields are cached per type), so that a later ``hydrate`` of them makes no
        request. Called by the poller's fetch-ahead thread for the next page while the
        current one is written, only when pages are coming in new, and only for pages of a
        full walk (the generator runs in that thread, so ``_full`` is the state of the page
        just listed). Best effort:
        a failure here is left for ``hydrate`` to meet again, and report, in the poll's own
        thread. At most ``AHEAD_LIMIT`` details are held; details never asked for are dropped
        when the limit is reached."""
        if not getattr(self, "_full", False):
            # An open-only walk lists open tasks, whose details are not wanted; an engine that
            # lists finished ones there anyway must not make us ask for them twice.
            return
        ahead = self.__dict__.setdefault("_ahead", {})
        wanted = [r for r in records if r.status == "DONE" and r.external_id not in ahead]
        if not wanted:
            return
        if len(ahead) + len(wanted) > AHEAD_LIMIT:
            ahead.clear()
        try:
            details = self._details(wanted)
        except Exception:  # noqa: BLE001 - only an optimisation: hydrate fetches them again
            return
        ahead.update(details)

    def _details(self, records: list[TaskRecord]) -> dict[str, dict]:
        """external id -> the task's detail, fetched by a bounded pool of threads (or taken
        from those fetched ahead)."""
        if not records:
            return {}
        found, ahead = {}, getattr(self, "_ahead", None)
        if ahead:
            for record in records:
                detail = ahead.pop(record.external_id, None)
                if detail is not None:
                    found[record.external_id] = detail
            if found:
                rest = [r for r in records if r.external_id not in found]
                return {**found, **self._details(rest)} if rest else found
        paths = [f"/admin/tasks/{r.wf_run_id}/{r.external_id}" for r in records]
        workers = max(1, min(int(self.config.watch.get("detail_workers", DETAIL_WORKERS)), 32))
        if workers == 1 or len(paths) == 1:
            bodies = [self._get(path) for path in paths]
        else:
            # Each thread runs in a copy of this context: the poll's deadline bounds it too.
            context = contextvars.copy_context()
            with ThreadPoolExecutor(max_workers=min(workers, len(paths))) as pool:
                bodies = list(pool.map(lambda p: context.copy().run(self._get, p), paths))
        return {r.external_id: body or {} for r, body in zip(records, bodies, strict=True)}

    def cases_of(self, record: TaskRecord) -> list[CaseRecord]:
        """A task looked up on its own updates its run's status too (finished with it)."""
        return self.runs([record])

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


def _iso(value: datetime) -> str:
    """The bridge's date format: ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_iso(raw: str) -> datetime:
    parsed = parse_time(raw)
    if parsed is None:
        raise ConnectorError(f"the saved cursor holds no date: {raw!r:.60}", permanent=True)
    return parsed
