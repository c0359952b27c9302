"""Idempotent import of connector records: unique on (source, external id), bulk inserts for
new rows, one lifecycle call per changed task, nothing at all for unchanged ones.

Each record carries a fingerprint of what the engine said; a row whose stored fingerprint
matches is skipped without being loaded, so replaying the same pages writes nothing. Callers
hold the source's poll lease, so no two importers write one source at once; with a ``lease``
the cursor is saved only while it is still held (checked in the page's transaction, which a
lost lease rolls back).

Before anything is written, ``quarantine.screen`` takes the records that cannot be stored
faithfully out of the page (a separate validation step: the writes below assume clean
records); they are remembered in the same transaction and the rest of the page imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from inbox import bulk, lifecycle
from inbox.models import OPEN_STATUSES, Case, QuarantinedRecord, Source, Stage, TaskStatus, UserTask
from inbox.sync import quarantine
from inbox.sync.base import CaseRecord, Page, TaskRecord
from inbox.sync.stored import WalkPrints

ENDED_CASE = {Case.Status.CANCELLED: "cancelled", Case.Status.FAILED: "failed"}


@dataclass
class ImportStats:
    cases_created: int = 0
    cases_updated: int = 0
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_unchanged: int = 0
    skipped: int = 0
    pages_deferred: int = 0  # pages with nothing to write whose cursor the caller saves later

    def add(self, other: ImportStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Mapper:
    """Upstream user and group names -> local ones, per source, cached for one poll.

    ``source.mapping`` may hold ``{"users": {upstream: username}, "groups": {upstream: name},
    "default_group": name}``. Users match by username or email (case-insensitive), groups by
    name. Unknown names map to None (the raw assignee is kept on the task).
    """

    def __init__(self, source: Source):
        mapping = source.mapping or {}
        self.source_id = source.pk
        self.user_aliases = mapping.get("users", {})
        self.group_aliases = mapping.get("groups", {})
        self.default_group = mapping.get("default_group")
        self._users: dict[str, User | None] = {}
        self._groups: dict[str, Group | None] = {}
        self._routes: dict[str, tuple[User | None, User | None]] = {}

    def user(self, raw: str | None) -> User | None:
        if not raw:
            return None
        if raw not in self._users:
            name = self.user_aliases.get(raw, raw)
            self._users[raw] = (
                User.objects.filter(is_active=True)
                .filter(Q(username__iexact=name) | Q(email__iexact=name))
                .order_by("id")
                .first()
            )
        return self._users[raw]

    def assignee(self, raw: str | None) -> tuple[User | None, User | None]:
        """(who gets a task the engine assigns to ``raw``, whom it was meant for when that
        user is away): out of office, ``inbox.lifecycle.route_assignee``."""
        if raw not in self._routes:
            self._routes[raw] = lifecycle.route_assignee(self.user(raw))
        return self._routes[raw]

    def group(self, raw: str | None) -> Group | None:
        name = self.group_aliases.get(raw, raw) if raw else self.default_group
        if not name:
            return None
        if name not in self._groups:
            self._groups[name] = Group.objects.filter(name=name).first()
        return self._groups[name]


def _stored_tasks(source: Source, external_ids: list[str]) -> dict[str, tuple]:
    """external id -> (task id, stored fingerprint) for the existing tasks (one query)."""
    rows = bulk.stored(UserTask, source.pk, external_ids, ("id", "upstream_hash"))
    return {external_id: (task_id, stored) for external_id, task_id, stored in rows}


def _plain_id(record) -> bool:
    """An id that can be looked up as it is (the screening judges the others)."""
    value = record.external_id
    if type(value) is not str or "\x00" in value:
        return False
    try:
        return value.isascii() or bool(value.encode("utf-8"))
    except UnicodeEncodeError:
        return False


def _fingerprint(record) -> str | None:
    """The record's fingerprint, or None when it cannot be taken (a record the screening
    then rejects, e.g. one holding keys of mixed types)."""
    try:
        return record.fingerprint()
    except (TypeError, ValueError, RecursionError):
        return None


def _stored_cases(source: Source, prints: dict) -> dict[str, str]:
    """external id -> stored fingerprint for the cases among ``prints`` already stored."""
    if not prints:
        return {}
    return dict(bulk.stored(Case, source.pk, prints, ("upstream_hash",)))


def import_page(
    source: Source,
    page: Page,
    *,
    mapper: Mapper,
    hydrate=None,
    save_cursor: bool = True,
    lease=None,
    defer_unchanged: bool = False,
    prints: WalkPrints | None = None,
    quarantined: bool | None = None,
) -> ImportStats:
    """Import one page and save its cursor in the same transaction.

    ``defer_unchanged`` (the poller's): a page with nothing to write (every record unchanged,
    none rejected, nothing quarantined for the source) opens no transaction and saves no
    cursor; ``pages_deferred`` is 1 and the caller saves that cursor later (with a later page,
    or ``Lease.save_cursor`` on its own).

    ``hydrate`` (the connector's, optional) completes new or changed task records with details
    before they are written; it runs before the transaction opens. ``lease`` (the poller's
    ``Lease``): the cursor is saved through it, and the transaction rolls back with
    ``LeaseLost`` when another poll has taken the source over.

    ``prints`` (the poller's, one per walk): the stored fingerprints, read once per walk
    (``stored.WalkPrints``). ``quarantined``: whether the source has quarantined records,
    when the caller knows (None: asked here).
    """
    stats = ImportStats()
    # Fingerprints first: a record whose fingerprint matches its stored row is unchanged, was
    # screened when that row was written, and is neither screened nor written again.
    fingerprints = {r.external_id: _fingerprint(r) for r in page.tasks if _plain_id(r)}
    case_prints = {r.external_id: _fingerprint(r) for r in page.cases if _plain_id(r)}
    if prints is None:
        stored = _stored_tasks(source, list(fingerprints)) if fingerprints else {}
        stored_cases = _stored_cases(source, case_prints)
    else:
        stored = prints.stored_tasks(list(fingerprints)) if fingerprints else {}
        stored_cases = prints.stored_cases(case_prints) if case_prints else {}
    same = frozenset(
        [
            *(("task", e) for e, (_, h) in stored.items() if h and h == fingerprints.get(e)),
            *(("case", e) for e, h in stored_cases.items() if h and h == case_prints.get(e)),
        ]
    )
    quarantine.screen(page, stored=same)
    todo = [
        r
        for r in page.tasks
        if stored.get(r.external_id, (None, None))[1] != fingerprints[r.external_id]
    ]
    stats.tasks_unchanged = len(page.tasks) - len(todo)
    if todo and hydrate is not None:
        todo = quarantine.screen_tasks(hydrate(todo, page.rejected), page.rejected)
        rejected_ids = {r.external_id for r in page.rejected}
        page.tasks = [r for r in page.tasks if r.external_id not in rejected_ids]
    existing = {r.external_id: stored[r.external_id][0] for r in todo if r.external_id in stored}
    stats.skipped = len(page.rejected)
    changed_cases = [c for c in page.cases if ("case", c.external_id) not in same]
    if quarantined is None and defer_unchanged:
        quarantined = QuarantinedRecord.objects.filter(source=source).exists()
    if (
        defer_unchanged
        and save_cursor
        and not (todo or changed_cases or page.rejected)
        and not quarantined
    ):
        stats.pages_deferred = 1
        return stats
    with transaction.atomic():
        case_ids = _import_cases(source, changed_cases, stats, stored=stored_cases)
        _import_tasks(source, todo, existing, fingerprints, case_ids, mapper, stats)
        quarantine.remember(source, page.rejected)
        if QuarantinedRecord.objects.filter(source=source).exists():
            quarantine.forget(source, page)
        if save_cursor:
            source.cursor = page.cursor
            if lease is not None:
                lease.save_cursor(page.cursor)
            else:
                Source.objects.filter(pk=source.pk).update(cursor=page.cursor)
        elif lease is not None:
            lease.renew()
    if prints is not None:
        prints.wrote(
            {
                r.external_id: (existing[r.external_id], fingerprints[r.external_id])
                for r in todo
                if r.external_id in existing
            },
            {c.external_id: case_prints.get(c.external_id) for c in changed_cases},
        )
    return stats


def _import_cases(
    source: Source, records: list[CaseRecord], stats: ImportStats, *, stored: dict
) -> dict:
    """``stored``: external id -> fingerprint of every stored case among ``records`` (the
    page's lookup): the others are new, and only these are read again (whole rows)."""
    if not records:
        return {}
    known = [r.external_id for r in records if r.external_id in stored]
    existing = (
        {
            c.external_id: c
            for c in Case.objects.filter(source=source, external_id__in=known).only(
                "id", "external_id", "upstream_hash", "status"
            )
        }
        if known
        else {}
    )
    now = timezone.now()
    new, ended, changes = [], [], []
    for record in records:
        values = _case_values(record)
        case = existing.get(record.external_id)
        if case is None:
            row = {"source_id": source.pk, "source": source, "external_id": record.external_id}
            new.append(({**row, "created_at": now, "updated_at": now, **values}, record))
            continue
        if case.upstream_hash == values["upstream_hash"]:
            continue
        if record.status in ENDED_CASE and case.status != record.status:
            ended.append((case, record))
        changes.append((case, case.status))
        Case.objects.filter(pk=case.pk).update(updated_at=now, **values)
        case.__dict__.update(values)
        if record.stages is not None:
            _replace_stages(case, record)
        stats.cases_updated += 1
    cases = bulk.new_instances(Case, [row for row, _ in new], related=("source",))
    new = [(case, record) for case, (_, record) in zip(cases, new, strict=True)]
    bulk.insert(Case, cases)
    stages = [
        Stage(case=case, **_stage_values(stage))
        for case, record in new
        for stage in record.stages or []
    ]
    bulk.insert(Stage, stages)
    stats.cases_created += len(new)
    # The case history: first sight, and each normalised status change (not a mere re-hash).
    lifecycle.case_events_append(
        source=source, changes=[*((case, None) for case, _ in new), *changes]
    )
    for case, record in ended:
        _end_case_tasks(source, case, record)
    return {c.external_id: c.pk for c in [*existing.values(), *(case for case, _ in new)]}


def _case_values(record: CaseRecord) -> dict:
    values = {
        "name": record.name[:500],
        "process_key": record.process_key[:255],
        "status": record.status,
        "upstream_status": record.upstream_status[:100],
        "started_by": record.started_by[:255],
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "progress_done": record.progress_done,
        "progress_total": record.progress_total,
        "payload": record.payload,
        "upstream_hash": record.fingerprint(),
    }
    if record.history is not None:
        values["history"] = record.history
    return values


def _stage_values(stage) -> dict:
    return {
        "external_id": stage.external_id,
        "name": stage.name[:500],
        "position": stage.position,
        "status": stage.status[:100],
        "sla": stage.sla,
        "started_at": stage.started_at,
        "ended_at": stage.ended_at,
        "tasks": stage.tasks,
    }


def _replace_stages(case: Case, record: CaseRecord) -> None:
    keep = []
    for stage in record.stages:
        values = _stage_values(stage)
        Stage.objects.update_or_create(
            case=case, external_id=values.pop("external_id"), defaults=values
        )
        keep.append(stage.external_id)
    Stage.objects.filter(case=case).exclude(external_id__in=keep).delete()


def _end_case_tasks(source: Source, case: Case, record: CaseRecord) -> None:
    """A cancelled or failed instance takes its open human steps with it."""
    message = f"The {source.get_kind_display()} instance was {ENDED_CASE[record.status]}."
    for task_id in UserTask.objects.filter(case=case, status__in=OPEN_STATUSES).values_list(
        "id", flat=True
    ):
        lifecycle.task_upstream_end(
            task_id=task_id, source=source, status=TaskStatus.CANCELLED, message=message
        )


def _task_values(record: TaskRecord, case_ids: dict, mapper: Mapper) -> dict:
    if record.status == TaskStatus.ASSIGNED:  # an open assignment: someone away is stood in for
        user, away_for = mapper.assignee(record.assignee)
    else:
        user, away_for = mapper.user(record.assignee), None
    group = mapper.group(record.group)
    case_id = case_ids.get(record.case_external_id) if record.case_external_id else None
    return {
        "user": user,
        "group": group,
        "upstream_assignee": "" if user or not record.assignee else record.assignee[:255],
        "away_for": away_for,
        "values": {
            "title": (record.title or record.task_type or "Task")[:500],
            "description": record.description,
            "task_type": (record.task_type or "task")[:255],
            "wf_run_id": record.wf_run_id,
            "case_id": case_id,
            "priority": record.priority,
            "due_at": record.due_at,
            "fields": record.fields,
            "context": record.context,
        },
    }


def _import_tasks(
    source: Source,
    records: list[TaskRecord],
    existing: dict,
    fingerprints: dict,
    case_ids: dict,
    mapper: Mapper,
    stats: ImportStats,
) -> None:
    """Insert the new records in bulk; apply the changed ones (``existing``: external id ->
    task id) through the lifecycle."""
    if not records:
        return
    # Cases imported by earlier pages: one query for the whole page, not one per task.
    wanted = {r.case_external_id for r in records if r.case_external_id} - case_ids.keys()
    if wanted:
        case_ids.update(bulk.stored(Case, source.pk, wanted, ("id",)))
    new_rows = []
    for record in records:
        mapped = _task_values(record, case_ids, mapper)
        status = _local_status(record.status, mapped["user"])
        if record.external_id not in existing:
            new_rows.append(
                {
                    **mapped["values"],
                    "external_id": record.external_id,
                    "status": status,
                    "assignee": mapped["user"] if status != TaskStatus.UNASSIGNED else None,
                    "group": mapped["group"],
                    "upstream_assignee": mapped["upstream_assignee"],
                    "results": record.results if status == TaskStatus.DONE else {},
                    "upstream_hash": fingerprints[record.external_id],
                    "created_at": record.created_at,
                    "away_for": mapped["away_for"],
                }
            )
            continue
        changed = lifecycle.task_upstream_apply(
            task_id=existing[record.external_id],
            source=source,
            values=mapped["values"],
            status=status,
            assignee=mapped["user"] if status == TaskStatus.ASSIGNED else None,
            group=mapped["group"],
            upstream_assignee=mapped["upstream_assignee"],
            results=record.results,
            message=record.message,
            upstream_hash=fingerprints[record.external_id],
            away_for=mapped["away_for"],
        )
        if changed:
            stats.tasks_updated += 1
        else:
            stats.tasks_unchanged += 1
    if new_rows:
        lifecycle.tasks_upstream_create(source=source, rows=new_rows)
        stats.tasks_created += len(new_rows)


def _local_status(upstream: str, user: User | None) -> str:
    """ASSIGNED only to a local user; an unknown assignee leaves the task to its group."""
    if upstream in (TaskStatus.DONE, TaskStatus.CANCELLED):
        return upstream
    return (
        TaskStatus.ASSIGNED if upstream == TaskStatus.ASSIGNED and user else TaskStatus.UNASSIGNED
    )


def import_record(
    source: Source, record: TaskRecord, *, mapper: Mapper, lease=None, cases=()
) -> ImportStats:
    """Import one task record the engine gave on request (with ``cases``, the connector's
    view of its case when it derives one from the task), leaving the source's cursor alone."""
    page = Page(tasks=[record], cases=list(cases))
    return import_page(source, page, mapper=mapper, save_cursor=False, lease=lease)


def open_tasks_missing(source: Source, page: Page) -> list[tuple[str, str]]:
    """(external_id, wf_run_id) of open local tasks in the page's complete runs it did not list."""
    if not page.complete_runs:
        return []
    # A rejected task is listed too: it is quarantined, not gone.
    listed = {r.external_id for r in page.tasks} | {r.external_id for r in page.rejected}
    rows = UserTask.objects.filter(
        source=source,
        wf_run_id__in=page.complete_runs,
        status__in=OPEN_STATUSES,
    ).values_list("external_id", "wf_run_id")
    return [(ext, run) for ext, run in rows if ext not in listed]


def open_tasks_unlisted(source: Source, listed: set[str]) -> list[tuple[str, str]]:
    """(external_id, wf_run_id) of the source's open local tasks missing from ``listed``
    (the ids a walk of everything that can still change has listed)."""
    rows = UserTask.objects.filter(source=source, status__in=OPEN_STATUSES).values_list(
        "external_id", "wf_run_id"
    )
    return [(ext, run) for ext, run in rows.iterator(chunk_size=5000) if ext not in listed]
