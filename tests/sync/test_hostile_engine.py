"""A hostile engine cannot hang, bloat or wedge a poll: repeating and cycling bookmarks fail the
poll with a clear error, endless pages and slow drips end at the poll's budgets, huge bodies
and gzip bombs are cut off at the size cap with the worker's memory bounded, and bad records
are quarantined while the rest of the page imports."""

import json
import os
import threading
import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from inbox.models import Case, QuarantinedRecord, Source, TaskEvent, UserTask
from inbox.sync.poller import poll
from tests.factories import UserFactory
from tests.sync import hostile_engine
from tests.sync.hostile_engine import TYPE, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def engine():
    server = hostile_engine.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def hostile_source(engine, staff):
    def make(mode: str, **behaviour) -> Source:
        engine.behaviour.clear()
        engine.behaviour.update(mode=mode, **behaviour)
        return Source.objects.create(
            name=f"hostile-{mode}",
            kind="littlehorse",
            base_url=engine.url,
            credentials={"token": "t"},
            watch={"tenant": "default", "task_types": [TYPE]},
            poll_max_seconds=behaviour.get("budget", 20),
            poll_max_pages=behaviour.get("max_pages", 1000),
        )

    return make


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples this process's resident memory while the block runs."""

    def __enter__(self):
        self.base = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> float:
        return self.peak - self.base


def timed_poll(source: Source):
    started = time.monotonic()
    result = poll(source.pk, force=True)
    source.refresh_from_db()
    return result, time.monotonic() - started


def test_a_bookmark_that_repeats_fails_the_poll_with_a_clear_error(hostile_source):
    source = hostile_source("repeat")
    result, took = timed_poll(source)
    assert result.status == "failed" and took < 5
    assert "paging repeats itself" in source.last_error and '"B1"' in source.last_error
    assert source.consecutive_failures == 1
    assert UserTask.objects.filter(source=source).count() == 1, "the first page still imported"


def test_bookmarks_that_cycle_fail_the_poll_after_one_round(hostile_source, engine):
    source = hostile_source("cycle")
    result, took = timed_poll(source)
    assert result.status == "failed" and took < 5
    assert "paging repeats itself" in source.last_error and '"A"' in source.last_error
    assert result.pages == 3 and engine.requests <= 6, "A, B, C, then A again: stop"
    assert UserTask.objects.filter(source=source).count() == 3
    # The saved cursor is the last page that committed: the next poll goes on from there,
    # meets the cycle again and says so again, without duplicating anything.
    assert poll(source.pk, force=True).status == "failed"
    assert UserTask.objects.filter(source=source).count() == 4
    assert TaskEvent.objects.filter(task__source=source, kind="CREATED").count() == 4


def test_endless_pages_stop_at_the_page_budget_and_resume_there(hostile_source):
    source = hostile_source("endless", max_pages=5)
    result, took = timed_poll(source)
    assert result.status == "incomplete" and result.pages == 5
    assert "page budget (5 pages)" in source.last_error
    assert source.consecutive_failures == 0 and source.next_attempt_at is None, "no backoff"
    assert UserTask.objects.filter(source=source).count() == 250
    assert source.cursor == {"type": TYPE, "bookmark": "5"}
    assert source.lease_until is None
    second = poll(source.pk, force=True)
    assert second.status == "incomplete"
    assert UserTask.objects.filter(source=source).count() == 500, "the next poll goes on"


def test_endless_slow_pages_stop_at_the_time_budget(hostile_source):
    source = hostile_source("endless", budget=2, delay=0.4)
    result, took = timed_poll(source)
    assert result.status == "incomplete"
    assert took < 3.5
    assert "budget" in source.last_error
    assert 2 <= result.pages <= 6


def test_a_response_dripped_a_byte_at_a_time_ends_at_the_total_timeout(hostile_source, settings):
    settings.SYNC_HTTP_TIMEOUT = 3
    settings.SYNC_HTTP_ATTEMPTS = 1
    source = hostile_source("drip", interval=1.0)
    result, took = timed_poll(source)
    assert result.status == "failed"
    assert took < 3 + 1.5, "the timeout is a total, not per byte"
    assert "no complete response within 3 s in total" in source.last_error


def test_a_drip_cannot_outlast_the_poll_budget_even_with_retries(hostile_source, settings):
    settings.SYNC_HTTP_TIMEOUT = 3
    settings.SYNC_HTTP_ATTEMPTS = 10
    source = hostile_source("drip", interval=1.0, budget=5)
    result, took = timed_poll(source)
    assert result.status == "incomplete" and took < 5 + 1.5
    assert "time budget" in source.last_error


def test_a_huge_body_is_cut_off_at_the_cap_with_memory_bounded(hostile_source, settings):
    settings.SYNC_HTTP_MAX_BODY_BYTES = 5 * 2**20
    source = hostile_source("huge", megabytes=400)
    with PeakRss() as rss:
        result, took = timed_poll(source)
    assert result.status == "failed" and took < 10
    assert "larger than the 5 MB cap" in source.last_error
    assert rss.growth < 60, f"memory grew {rss.growth:.0f} MB"


def test_a_gzip_bomb_is_cut_off_after_decompression_with_memory_bounded(hostile_source, settings):
    settings.SYNC_HTTP_MAX_BODY_BYTES = 5 * 2**20
    source = hostile_source("gzip")
    hostile_engine.gzip_bomb()  # built before measuring
    with PeakRss() as rss:
        result, took = timed_poll(source)
    assert result.status == "failed" and took < 10
    assert "larger than the 5 MB cap" in source.last_error
    assert rss.growth < 60, f"memory grew {rss.growth:.0f} MB"


def test_the_default_cap_is_twenty_megabytes(settings):
    assert settings.SYNC_HTTP_MAX_BODY_BYTES == 20 * 2**20


BAD_RECORDS = [
    ("long-id", "x" * 1500, "the task id is 1500 characters long"),
    ("nul", None, "NUL character in title"),
    ("bad-utf8", None, "invalid Unicode (not UTF-8)"),
    ("bad-date", None, "impossible date '2026-13-45T00:00:00.000Z'"),
    ("infinity", None, "non-finite number (inf) in results.amount.value"),
    ("wrong-type", None, "AttributeError"),
]


def bad_page() -> bytes:
    """Three good tasks (one with a 600-character run id) and one of each bad kind, as raw
    bytes (invalid UTF-8 cannot be written by json.dumps)."""
    items = [task("good-1"), task("good-2"), task("good-3", run_id="r" * 600)]
    items.append(task("x" * 1500))
    items.append(task("nul", notes="Pay\u0000me"))
    items.append(task("bad-utf8", notes="@@BADBYTES@@"))
    items.append(task("bad-date", scheduledTime="2026-13-45T00:00:00.000Z"))
    items.append(task("infinity", status="DONE"))
    items.append(task("wrong-type", notes={"not": "text"}))
    raw = json.dumps({"userTasks": items}).encode()
    return raw.replace(b"@@BADBYTES@@", b"caf\xc3 \xff\xfe")


def test_bad_records_are_quarantined_and_the_rest_imports(hostile_source, settings):
    details = {
        "infinity": '{"fields": [], "results": {"amount": {"type": "DOUBLE", "value": Infinity}}}'
    }
    source = hostile_source("records", body=bad_page(), details=details)
    result, _ = timed_poll(source)
    assert result.status == "ok", source.last_error
    assert source.last_error == "" and source.consecutive_failures == 0
    tasks = UserTask.objects.filter(source=source)
    assert sorted(tasks.values_list("external_id", flat=True)) == ["good-1", "good-2", "good-3"]
    long_run = tasks.get(external_id="good-3")
    assert long_run.wf_run_id == "r" * 600, "a long id is stored whole"
    assert Case.objects.filter(source=source, external_id="r" * 600).exists()
    skipped = {
        q.external_id: q.reason
        for q in QuarantinedRecord.objects.filter(source=source, kind="task")
    }
    assert len(skipped) == len(BAD_RECORDS)
    # The over-long task's run (a case) is over-long too: skipped as well, not truncated.
    case = QuarantinedRecord.objects.get(source=source, kind="case")
    assert case.external_id == "run-" + "x" * 1500 and "1504 characters" in case.reason
    for name, raw, reason in BAD_RECORDS:
        assert reason in skipped[raw or name], (name, skipped[raw or name])
    # The next poll skips them again without failing, duplicating or piling up rows.
    assert poll(source.pk, force=True).status == "ok"
    assert QuarantinedRecord.objects.filter(source=source).count() == len(BAD_RECORDS) + 1
    assert TaskEvent.objects.filter(task__source=source, kind="CREATED").count() == 3


def test_a_record_fixed_upstream_leaves_quarantine_when_it_imports(hostile_source, engine):
    source = hostile_source("pages", pages=[[task("t1", scheduledTime="2026-02-30T00:00:00Z")]])
    assert poll(source.pk, force=True).status == "ok"
    assert QuarantinedRecord.objects.filter(source=source, external_id="t1").exists()
    engine.behaviour["pages"] = [[task("t1")]]
    assert poll(source.pk, force=True).status == "ok"
    assert UserTask.objects.filter(source=source, external_id="t1").exists()
    assert not QuarantinedRecord.objects.filter(source=source).exists()


def test_sources_page_and_api_show_the_skipped_records(hostile_source, client):
    source = hostile_source("records", body=bad_page(), details={})
    assert poll(source.pk, force=True).status == "ok"
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    html = client.get(reverse("inbox:admin_sources")).content.decode()
    assert "6 records skipped" in html, "five bad tasks and the over-long run"
    latest = QuarantinedRecord.objects.filter(source=source).order_by("-seen_at", "-id")[:3]
    for record in latest:
        assert escape(record.reason) in html and escape(record.external_id[:50]) in html
    body = client.get("/api/v1/admin/sources/").json()
    entry = next(s for s in body["results"] if s["name"] == source.name)
    assert entry["skipped_records"]["count"] == 6
    assert len(entry["skipped_records"]["latest"]) == 3
    assert {"kind", "external_id", "reason", "seen_at"} <= set(
        entry["skipped_records"]["latest"][0]
    )


@pytest.mark.django_db(transaction=True)
def test_a_poll_that_lost_its_lease_stops_writing(hostile_source, engine):
    pages = [[task(f"p{n}-{i}") for i in range(3)] for n in range(4)]
    source = hostile_source("pages", pages=pages)

    def take_over(bookmark):  # another worker takes the source over while page 2 is served
        if bookmark == "2":
            Source.objects.filter(pk=source.pk).update(
                lease_token=uuid.uuid4(), lease_until=timezone.now() + timezone.timedelta(minutes=5)
            )

    engine.behaviour["on_listing"] = take_over
    result = poll(source.pk, force=True)
    assert result.status == "lost"
    source.refresh_from_db()
    assert source.cursor == {"type": TYPE, "bookmark": "2"}, "page 3 was not committed"
    assert UserTask.objects.filter(source=source).count() == 6
    assert source.last_success_at is None, "the lost poll recorded no outcome"
    assert poll(source.pk, force=True).status == "skipped", "the new holder keeps the source"


def test_poll_and_push_tasks_have_celery_time_limits(settings):
    from inbox.tasks import poll_source, push_outbox_command

    assert 0 < poll_source.soft_time_limit < poll_source.time_limit
    assert 0 < push_outbox_command.soft_time_limit < push_outbox_command.time_limit
    assert poll_source.soft_time_limit > Source._meta.get_field("poll_max_seconds").default
