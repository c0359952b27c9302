"""Fetching the next page while the current one is written: the walk imports the same rows,
and a poll that loses its lease stops writing and stops reading the engine."""

import uuid
from collections import Counter

import pytest
from django.utils import timezone

from inbox.models import Source, UserTask
from inbox.sync.poller import poll
from tests.sync.hostile_engine import TYPE, task
from tests.sync.test_hostile_engine import engine, hostile_source  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = 250  # big enough to be fetched ahead


def test_big_pages_fetched_ahead_import_every_task_once(hostile_source):  # noqa: F811
    pages = [[task(f"a{n}-{i}") for i in range(PAGE)] for n in range(4)]
    source = hostile_source("pages", pages=pages)
    result = poll(source.pk, force=True)
    assert result.status == "ok", result.error
    # The full walk's 4 pages, then the first open-only walk in the same poll: its three
    # passes (this engine ignores the status filter) list the same 4 pages, writing nothing.
    assert result.pages == 4 + 3 * 4 and result.stats.tasks_created == 4 * PAGE
    assert result.stats.pages_deferred == 3 * 4 and result.stats.tasks_updated == 0
    assert UserTask.objects.filter(source=source).count() == 4 * PAGE
    again = poll(source.pk, force=True)
    assert again.status == "ok" and again.stats.tasks_created == again.stats.tasks_updated == 0


def test_a_full_sync_reads_each_finished_tasks_results_once_fetched_ahead(
    hostile_source,  # noqa: F811
    engine,  # noqa: F811
):
    """While pages come in new, the next page's details are fetched ahead of its import: every
    finished task still gets its own results, and the engine is asked for each detail once."""
    pages = [[task(f"d{n}-{i}", status="DONE") for i in range(PAGE)] for n in range(4)]
    details = {
        item["id"]: {"fields": [], "results": {"approved": True, "ref": item["id"]}}
        for page in pages
        for item in page
    }
    source = hostile_source("pages", pages=pages, details=details)
    result = poll(source.pk, force=True)
    assert result.status == "ok", result.error
    assert result.stats.tasks_created == 4 * PAGE
    stored = dict(UserTask.objects.filter(source=source).values_list("external_id", "results"))
    assert stored == {key: detail["results"] for key, detail in details.items()}
    asked = Counter(engine.detail_requests)
    assert set(asked) == set(details)
    assert max(asked.values()) == 1, asked.most_common(3)


def test_a_poll_fetching_ahead_stops_when_its_lease_is_lost(hostile_source, engine):  # noqa: F811
    pages = [[task(f"b{n}-{i}") for i in range(PAGE)] for n in range(6)]
    source = hostile_source("pages", pages=pages)
    served = []

    def take_over(bookmark):  # another worker takes the source over while page 3 is served
        served.append(bookmark)
        if bookmark == "2":
            Source.objects.filter(pk=source.pk).update(
                lease_token=uuid.uuid4(), lease_until=timezone.now() + timezone.timedelta(minutes=5)
            )

    engine.behaviour["on_listing"] = take_over
    result = poll(source.pk, force=True)
    assert result.status == "lost"
    source.refresh_from_db()
    written = UserTask.objects.filter(source=source).count()
    # Page 2 was being written (or page 3 was) when page 3 was served: that page rolled back.
    assert written in (PAGE, 2 * PAGE)
    assert source.cursor == {"type": TYPE, "bookmark": str(written // PAGE)}
    assert not UserTask.objects.filter(source=source, external_id__startswith="b2-").exists()
    assert len(served) <= 4, f"at most one page read ahead of the one written: {served}"
    assert poll(source.pk, force=True).status == "skipped", "the new holder keeps the source"
