"""Polling one source: a lease so that only one worker polls it at a time, page-by-page import
with the cursor saved in each page's transaction, and exponential backoff on failure.

The lease is a timestamp on the Source row taken with one conditional UPDATE: it works the same
on PostgreSQL and SQLite, across machines, and a worker that dies simply lets it expire.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from inbox import lifecycle
from inbox.models import Source, TaskStatus
from inbox.secrets import redact_text, source_secrets
from inbox.sync.base import ConnectorError
from inbox.sync.importer import (
    ImportStats,
    Mapper,
    import_page,
    import_record,
    open_tasks_missing,
)
from inbox.sync.registry import connector_for

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class PollResult:
    status: str  # "ok", "failed", "skipped"
    pages: int = 0
    stats: ImportStats = field(default_factory=ImportStats)
    error: str = ""


def _acquire(source_id: int, force: bool) -> bool:
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    query = Source.objects.filter(pk=source_id, enabled=True).exclude(kind=Source.Kind.LOCAL)
    query = query.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if not force:
        query = query.filter(due)
    return query.update(lease_until=now + LEASE) == 1


def backoff(source: Source, failures: int, retry_after: float | None) -> timedelta:
    delay = timedelta(seconds=max(source.poll_interval, 1) * 2 ** min(failures, 12))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, MAX_BACKOFF)


def poll(source_id: int, *, force: bool = False) -> PollResult:
    """Poll one source unless another worker holds it or its backoff has not elapsed.

    ``force`` ("Sync now") ignores the backoff, never the lease.
    """
    if not _acquire(source_id, force):
        return PollResult(status="skipped")
    source = Source.objects.get(pk=source_id)
    result = PollResult(status="ok")
    try:
        with connector_for(source) as connector:
            mapper = Mapper(source)
            hydrate = getattr(connector, "hydrate", None)
            for page in connector.pages(dict(source.cursor or {})):
                result.stats.add(import_page(source, page, mapper=mapper, hydrate=hydrate))
                _reconcile(source, connector, page, mapper)
                result.pages += 1
                Source.objects.filter(pk=source.pk).update(lease_until=timezone.now() + LEASE)
    except Exception as exc:  # any failure is recorded on the source; the next poll retries
        if not isinstance(exc, ConnectorError):
            log.exception("poll of source %s failed", source.name)
        failures = source.consecutive_failures + 1
        now = timezone.now()
        retry_after = getattr(exc, "retry_after", None)
        Source.objects.filter(pk=source.pk).update(
            lease_until=None,
            last_error=redact_text(f"{exc.__class__.__name__}: {exc}", source_secrets(source))[
                :2000
            ],
            last_error_at=now,
            consecutive_failures=failures,
            next_attempt_at=now + backoff(source, failures, retry_after),
        )
        result.status, result.error = "failed", str(exc)
        return result
    Source.objects.filter(pk=source.pk).update(
        lease_until=None,
        last_success_at=timezone.now(),
        consecutive_failures=0,
        next_attempt_at=None,
        last_error="",
    )
    return result


def _reconcile(source: Source, connector, page, mapper: Mapper) -> None:
    """Open tasks a complete listing no longer shows: ask the engine what became of them."""
    for external_id, wf_run_id in open_tasks_missing(source, page):
        record = connector.fetch_task(external_id, wf_run_id)
        if record is None:
            task_id = source.tasks.get(external_id=external_id).pk
            lifecycle.task_upstream_end(
                task_id=task_id,
                source=source,
                status=TaskStatus.CANCELLED,
                message="The engine no longer lists this task.",
            )
            continue
        import_record(source, record, mapper=mapper)
