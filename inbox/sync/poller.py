"""Polling one source: a lease so that only one worker polls it at a time, page-by-page import
with the cursor saved in each page's transaction (a page with nothing to write saves none; its
cursor goes with the next write, every few seconds, and at the end of the walk), bounded polls,
and capped backoff on failure.

The next page is fetched while the current one is written (``prefetch.FetchAhead``, after big
pages only); that helper thread never writes, and it is stopped when the walk ends for any
reason, the lease lost included.

A poll ends, whatever the engine does:
- within its budgets (``Source.poll_max_seconds`` wall clock, also bounding every request, and
  ``Source.poll_max_pages``): it stops "incomplete", with the reason recorded on the source; the
  next poll resumes from the last committed page (no backoff: nothing failed);
- when a page's cursor (bookmark, page token) repeats one seen earlier in the walk: the poll
  fails with a clear error rather than walking the cycle forever;
- when another poll took its lease over (``lease.LeaseLost``): it stops writing at once.

After each page, open local tasks the engine's listing says are gone (``Page.complete_runs``,
or every open task missing from a walk that lists all that can still change, ``Page.listed``)
are looked up one by one. A poll that created many rows refreshes the planner's statistics
(``ANALYZE`` of the looked-up columns, PostgreSQL) so the next poll's lookups use the right
indexes.

Failed polls back off exponentially from the poll interval, capped at ``SYNC_MAX_BACKOFF``
seconds (a longer Retry-After is honoured); one successful poll makes the source healthy again.
Each write below is a single UPDATE or the importer's page transaction; no lock is held
across requests.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox import bulk, lifecycle
from inbox.models import (
    Case,
    QuarantinedRecord,
    Source,
    TaskStatus,
    UserTask,
)
from inbox.secrets import redact_text, source_secrets
from inbox.sync import quarantine
from inbox.sync.base import BAD_ITEM_ERRORS, ConnectorError, Rejected, excerpt
from inbox.sync.http import PollBudgetExceeded, poll_budget
from inbox.sync.importer import (
    ImportStats,
    Mapper,
    import_page,
    import_record,
    open_tasks_missing,
    open_tasks_unlisted,
)
from inbox.sync.lease import LEASE, Lease, LeaseLost
from inbox.sync.prefetch import FetchAhead
from inbox.sync.registry import connector_for
from inbox.sync.stored import WalkPrints

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = timedelta(hours=1)
# Planner statistics are refreshed (ANALYZE) after this many new rows in one poll, then after
# twice as many each time (a full sync of N rows analyzes about log2(N / 20,000) times).
ANALYZE_AFTER_ROWS = 20_000
# What the walk's lookups filter on: only these columns' statistics are refreshed during a
# walk (the rest, JSON and text search included, are left to autovacuum).
LOOKUP_COLUMNS = (
    (UserTask, ("source", "external_id", "status", "wf_run_id")),
    (Case, ("source", "external_id", "status")),
)
# A walk of unchanged pages saves its cursor (and renews the lease) at least this often.
CURSOR_SAVE_SECONDS = 5.0


@dataclass
class PollResult:
    status: str  # "ok", "incomplete" (a budget ended it), "failed", "lost" (lease), "skipped"
    pages: int = 0
    stats: ImportStats = field(default_factory=ImportStats)
    error: str = ""


class CursorCycle(ConnectorError):
    """The engine's paging came back to a cursor already walked in this poll."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class BudgetSpent(Exception):
    """The poll used its page or time budget; the next poll resumes where it stopped."""


def backoff(source: Source, failures: int, retry_after: float | None) -> timedelta:
    cap = timedelta(seconds=getattr(settings, "SYNC_MAX_BACKOFF", 300))
    delay = min(timedelta(seconds=max(source.poll_interval, 1) * 2 ** min(failures, 12)), cap)
    if retry_after:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def _key(cursor: dict) -> str:
    """Where a cursor resumes: its entries but the ``memo_`` ones (what a connector remembers
    of earlier pages, not a position)."""
    position = {k: v for k, v in (cursor or {}).items() if not str(k).startswith("memo_")}
    return json.dumps(position, sort_keys=True, default=str)


def poll(source_id: int, *, force: bool = False) -> PollResult:
    """Poll one source unless another worker holds it or its backoff has not elapsed.

    ``force`` ("Sync now") ignores the backoff, never the lease.
    """
    source = Source.objects.filter(pk=source_id).only("poll_max_seconds").first()
    if source is None:
        return PollResult(status="skipped")
    budget = max(int(source.poll_max_seconds), 1)
    lease = Lease.acquire(
        source_id, force=force, duration=max(LEASE, timedelta(seconds=budget + 60))
    )
    if lease is None:
        return PollResult(status="skipped")
    source = Source.objects.get(pk=source_id)
    result = PollResult(status="ok")
    try:
        with poll_budget(budget) as deadline:
            _walk(source, lease, result, deadline)
    except LeaseLost as exc:
        log.warning("poll of source %s stopped: %s", source.name, exc)
        result.status, result.error = "lost", str(exc)
        return result
    except (BudgetSpent, PollBudgetExceeded) as exc:
        result.status, result.error = "incomplete", str(exc)
        message = (
            f"Poll stopped at its budget after {result.pages} page(s): {exc} "
            "The next poll resumes from the last page imported."
        )
        lease.release(last_error=message[:2000], last_error_at=timezone.now())
        return result
    except Exception as exc:  # any failure is recorded on the source; the next poll retries
        if not isinstance(exc, ConnectorError):
            log.exception("poll of source %s failed", source.name)
        failures = source.consecutive_failures + 1
        now = timezone.now()
        lease.release(
            last_error=redact_text(f"{exc.__class__.__name__}: {exc}", source_secrets(source))[
                :2000
            ],
            last_error_at=now,
            consecutive_failures=failures,
            next_attempt_at=now + backoff(source, failures, getattr(exc, "retry_after", None)),
        )
        result.status, result.error = "failed", str(exc)
        return result
    lease.release(
        last_success_at=timezone.now(),
        consecutive_failures=0,
        next_attempt_at=None,
        last_error="",
    )
    return result


def _walk(source: Source, lease: Lease, result: PollResult, deadline: float) -> None:
    """Import page after page within the source's budgets; a repeated cursor ends the walk.

    A page with nothing to write commits nothing: its cursor is held back and saved (with a
    lease renewal) by the next page that writes, at least every ``CURSOR_SAVE_SECONDS``, and
    whenever the walk ends (done, out of budget, failed), so a poll that finds nothing new
    costs no write per page and a later poll still resumes no earlier than before.
    """
    seen = {_key(source.cursor)} if source.cursor else set()
    max_pages = max(int(source.poll_max_pages), 1)
    pending = _PendingCursor(source, lease)
    with connector_for(source) as connector:
        mapper = Mapper(source)
        hydrate = getattr(connector, "hydrate", None)
        fresh = 0  # rows created since the planner statistics were last refreshed
        analyze_after = ANALYZE_AFTER_ROWS
        prints = WalkPrints(source.pk)
        quarantined = QuarantinedRecord.objects.filter(source=source).exists()
        pages = FetchAhead(
            connector.pages(dict(source.cursor or {})),
            details=getattr(connector, "fetch_details_ahead", None),
        )
        try:
            for page in pages:
                if result.pages >= max_pages:
                    raise BudgetSpent(f"the page budget ({max_pages} pages) is used up.")
                if page.cursor:
                    key = _key(page.cursor)
                    if key in seen:
                        raise CursorCycle(
                            f"the engine's paging repeats itself: after {result.pages} "
                            f"page(s) it returned the cursor {key[:200]} again; stopped "
                            "rather than walking the same pages forever."
                        )
                    seen.add(key)
                stats = import_page(
                    source,
                    page,
                    mapper=mapper,
                    hydrate=hydrate,
                    lease=lease,
                    defer_unchanged=True,
                    prints=prints,
                    quarantined=quarantined,
                )
                pending.after(page, stats)
                result.stats.add(stats)
                # Pages coming in new (a full sync): the next ones' details are fetched ahead.
                if page.tasks and stats.tasks_created * 2 >= len(page.tasks):
                    pages.details_wanted.set()
                else:
                    pages.details_wanted.clear()
                fresh += stats.tasks_created + stats.cases_created
                if fresh >= analyze_after:
                    _analyze()
                    fresh, analyze_after = 0, analyze_after * 2
                missing = open_tasks_missing(source, page)
                if page.listed is not None:
                    missing += open_tasks_unlisted(source, page.listed)
                if missing:
                    pending.save()  # reconciling writes and renews the lease itself
                _reconcile(source, connector, missing, mapper, lease)
                if missing or not stats.pages_deferred:
                    # The quarantine changes only in a transaction (a deferred page has none).
                    quarantined = QuarantinedRecord.objects.filter(source=source).exists()
                result.pages += 1
                if time.monotonic() >= deadline:
                    if fresh >= ANALYZE_AFTER_ROWS // 10:
                        _analyze()
                    raise BudgetSpent(f"the time budget ({source.poll_max_seconds} s) is used up.")
        finally:
            pages.close()  # before anything else: no request outlives the walk
            pending.save()
        if fresh >= ANALYZE_AFTER_ROWS // 10:
            _analyze()


class _PendingCursor:
    """The cursor of the last page that wrote nothing, until it is saved through the lease."""

    def __init__(self, source: Source, lease: Lease):
        self.source, self.lease = source, lease
        self.cursor: dict | None = None
        self.saved_at = time.monotonic()

    def after(self, page, stats) -> None:
        if not stats.pages_deferred:  # the page's transaction saved its cursor
            self.cursor, self.saved_at = None, time.monotonic()
            return
        self.cursor = page.cursor
        if time.monotonic() - self.saved_at >= CURSOR_SAVE_SECONDS:
            self.save()

    def save(self) -> None:
        if self.cursor is None:
            return
        cursor, self.cursor = self.cursor, None
        with transaction.atomic():
            self.lease.save_cursor(cursor)
        self.source.cursor = cursor
        self.saved_at = time.monotonic()


def _analyze() -> None:
    """Fresh planner statistics after a big import: with the stale ones taken while the
    tables were small, the next poll's lookups by (source, external id) pick the wrong index.
    Only the looked-up columns of tasks and cases (``LOOKUP_COLUMNS``): ANALYZE of the whole
    task, case and event tables took 8.7 s at 100,000 tasks per source (load 10), these
    column lists 3.1 s; a full sync ran it eleven times."""
    bulk.analyze(*LOOKUP_COLUMNS)


def _reconcile(source: Source, connector, missing: list, mapper: Mapper, lease: Lease) -> None:
    """Open tasks a complete listing no longer shows (``missing``: external id, run id):
    ask the engine what became of them, one by one."""
    for external_id, wf_run_id in missing:
        try:
            record = connector.fetch_task(external_id, wf_run_id)
        except BAD_ITEM_ERRORS as exc:
            reason = f"cannot read the task: {exc.__class__.__name__}: {exc}"
            quarantine.remember(source, [Rejected("task", external_id, reason[:500], excerpt({}))])
            continue
        if record is None:
            task_id = source.tasks.get(external_id=external_id).pk
            lifecycle.task_upstream_end(
                task_id=task_id,
                source=source,
                status=TaskStatus.CANCELLED,
                message="The engine no longer lists this task.",
            )
            continue
        import_record(source, record, mapper=mapper, lease=lease, cases=connector.cases_of(record))
