"""Prometheus metrics at ``/metrics``.

Two kinds of figures:
- From the database at scrape time (the same in every process, so multiple gunicorn workers
  agree): open tasks by status and group (from the open-task snapshot that beat refreshes every
  minute: counting 700,000 open tasks live took ~0.9 s a scrape), outbox backlog, its age and
  failures by source (pending/failed rows through ``outbox_due_idx``), poll failures and last
  success by source (the Source table).
- Counted in-process: request latency by view, poll duration and outcome by source, Celery task
  outcomes. With several processes (gunicorn workers, Celery workers) set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by the processes of one host
  (cleared at deploy): each process writes its samples there and a scrape sums them.

Access: a bearer token (``METRICS_TOKEN``) and/or a network allow-list
(``METRICS_ALLOWED_IPS``, addresses or CIDRs, matched against REMOTE_ADDR). With neither
configured the endpoint answers 403.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_LATENCY = Histogram(
    "inbox_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POLL_DURATION = Histogram(
    "inbox_poll_duration_seconds",
    "Duration of one poll of an engine source.",
    ["source"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
POLLS = Counter("inbox_polls", "Polls of an engine source by outcome.", ["source", "outcome"])
CELERY_TASKS = Counter(
    "inbox_celery_tasks", "Celery task runs by task name and outcome.", ["task", "outcome"]
)


class DatabaseCollector:
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self):
        from inbox.models import OutboxCommand, Source
        from ops.models import DailyTaskStats, OpenTaskSnapshot

        now = timezone.now()
        open_tasks = GaugeMetricFamily(
            "inbox_open_tasks",
            "Open tasks by status and group (as of the last open-count refresh).",
            labels=["status", "group"],
        )
        as_of = GaugeMetricFamily(
            "inbox_open_tasks_refreshed_timestamp_seconds",
            "When the open-task counts were last refreshed (Unix time).",
        )
        # The snapshot's rows are split by status and overdue-or-not: sum the overdue split.
        rows = (
            OpenTaskSnapshot.objects.filter(scope=DailyTaskStats.Scope.GROUP)
            .values("group__name", "status")
            .annotate(n=Sum("open"), at=Max("computed_at"))
            .order_by("group__name", "status")
        )
        refreshed = None
        seen = set()
        for row in rows:
            group = row["group__name"] or ""
            seen.add((group, row["status"]))
            open_tasks.add_metric([row["status"], group], row["n"])
            refreshed = row["at"]
        for group in {group for group, _ in seen}:
            for status in ("UNASSIGNED", "ASSIGNED"):
                if (group, status) not in seen:
                    open_tasks.add_metric([status, group], 0)
        yield open_tasks
        if refreshed is not None:
            as_of.add_metric([], refreshed.timestamp())
        yield as_of

        backlog = GaugeMetricFamily(
            "inbox_outbox_pending", "Write-backs waiting to reach the engine.", labels=["source"]
        )
        age = GaugeMetricFamily(
            "inbox_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending write-back.",
            labels=["source"],
        )
        failed = GaugeMetricFamily(
            "inbox_outbox_failed",
            "Write-backs that failed or conflict with the engine (await an admin).",
            labels=["source"],
        )
        figures = {
            row["source__name"]: row
            for row in OutboxCommand.objects.filter(
                status__in=(*OutboxCommand.OPEN, *OutboxCommand.STUCK)
            )
            .order_by()
            .values("source__name")
            .annotate(
                pending=Count("id", filter=Q(status__in=OutboxCommand.OPEN)),
                failed=Count("id", filter=Q(status__in=OutboxCommand.STUCK)),
                oldest=Min("created_at", filter=Q(status__in=OutboxCommand.OPEN)),
            )
        }
        poll_failures = GaugeMetricFamily(
            "inbox_source_consecutive_failures",
            "Polls of the source that failed in a row.",
            labels=["source"],
        )
        last_success = GaugeMetricFamily(
            "inbox_source_last_success_timestamp_seconds",
            "When the source was last polled successfully (Unix time).",
            labels=["source"],
        )
        for source in Source.objects.exclude(kind=Source.Kind.LOCAL).order_by("name"):
            row = figures.get(source.name, {})
            backlog.add_metric([source.name], row.get("pending", 0))
            failed.add_metric([source.name], row.get("failed", 0))
            oldest = row.get("oldest")
            age.add_metric([source.name], (now - oldest).total_seconds() if oldest else 0)
            poll_failures.add_metric([source.name], source.consecutive_failures)
            if source.last_success_at:
                last_success.add_metric([source.name], source.last_success_at.timestamp())
        yield from (backlog, age, failed, poll_failures, last_success)


def registry() -> CollectorRegistry:
    """This process's metrics, or every process's under PROMETHEUS_MULTIPROC_DIR; plus the DB."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
    else:
        reg = CollectorRegistry()
        for collector in (REQUEST_LATENCY, POLL_DURATION, POLLS, CELERY_TASKS):
            reg.register(collector)
    reg.register(DatabaseCollector())
    return reg


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_IPS
    if not token and not networks:
        return False
    if token:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()
        ):
            return True
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
    return False


@never_cache
def metrics(request):
    if request.method != "GET":
        return HttpResponse("Use GET.\n", status=405, content_type="text/plain")
    if not allowed(request):
        message = (
            "Metrics need a bearer token (METRICS_TOKEN) or an allowed address "
            "(METRICS_ALLOWED_IPS).\n"
        )
        return HttpResponse(message, status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Observe each request's latency under its view's URL name (not its path: bounded labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(view, method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response
