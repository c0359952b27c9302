"""Every fault kind the simulators inject: the poll records it, backs off, and a later poll
recovers with nothing lost and nothing duplicated. Write-backs retry transient faults."""

import threading

import httpx
import pytest
from django.db import connection

from inbox import lifecycle
from inbox.models import OutboxCommand, Source, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

FAULTS = [
    pytest.param({"kind": "status", "status": 500}, "500", id="http-500"),
    pytest.param({"kind": "status", "status": 502}, "502", id="http-502"),
    pytest.param({"kind": "status", "status": 503}, "503", id="http-503"),
    pytest.param({"kind": "429", "retry_after": 120}, "429", id="429-retry-after"),
    pytest.param({"kind": "slow", "delay": 2.5}, "timed out", id="slow"),
    pytest.param({"kind": "malformed"}, "malformed JSON", id="malformed-json"),
    pytest.param({"kind": "truncated"}, "", id="truncated-body"),
    pytest.param({"kind": "drop"}, "", id="dropped-connection"),
]


def add_fault(sims, **spec):
    httpx.post(f"{sims.control_url}/_control/faults", json=spec).raise_for_status()


@pytest.mark.django_db
@pytest.mark.parametrize(("fault", "message"), FAULTS)
def test_a_poll_survives_each_fault_kind(fault, message, make_source, staff, simulators, settings):
    settings.SYNC_HTTP_TIMEOUT = 1
    settings.SYNC_HTTP_ATTEMPTS = 2
    source = make_source("littlehorse")
    # Every attempt of the walk's first request meets the fault (a Retry-After beyond the
    # in-poll cap ends the poll at once).
    count = 1 if fault["kind"] == "429" else 2
    add_fault(
        simulators, engine="littlehorse", path_prefix="/default/admin/tasks", count=count, **fault
    )
    first = poll(source.pk)
    assert first.status == "failed"
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert message in source.last_error
    if fault["kind"] == "429":
        wait = (source.next_attempt_at - source.last_error_at).total_seconds()
        assert wait >= 119, "Retry-After is honoured"
    assert poll(source.pk, force=True).status == "ok", "one good poll makes the source healthy"
    expected = reference_count(simulators)
    tasks = UserTask.objects.filter(source=source)
    assert tasks.count() == expected, "nothing lost"
    assert TaskEvent.objects.filter(task__source=source, kind="CREATED").count() == expected
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_error == ""


def reference_count(sims) -> int:
    headers = {"Authorization": "Bearer sim-token"}
    base = f"{sims.urls['littlehorse']}/default/admin"
    total = 0
    for kind in httpx.get(f"{base}/taskTypes?limit=100", headers=headers).json()[
        "userTaskDefNames"
    ]:
        total += len(
            httpx.get(f"{base}/tasks?type={kind}&limit=1000", headers=headers).json()["userTasks"]
        )
    return total


@pytest.mark.django_db
def test_a_write_back_retries_transient_faults_and_fails_on_refusal(make_source, staff, simulators):
    source = make_source("littlehorse")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = UserTask.objects.filter(
        source=source, status="UNASSIGNED", group__in=alice.groups.all()
    ).first()
    lifecycle.task_claim(task_id=task.id, user=alice)
    command = OutboxCommand.objects.get(task=task)
    add_fault(
        simulators,
        engine="littlehorse",
        kind="status",
        status=503,
        count=1,
        path_prefix=f"/default/admin/tasks/{task.wf_run_id}",
    )
    assert push_command(command.pk) == "retry"
    command.refresh_from_db()
    assert (command.status, command.attempts) == ("retrying", 1)
    assert "503" in command.last_error
    OutboxCommand.objects.filter(pk=command.pk).update(next_attempt_at=command.created_at)
    assert push_command(command.pk) == "delivered"
    # The engine finishes the task itself; our cancel is refused: a decision made elsewhere.
    httpx.post(
        f"{simulators.control_url}/_control/littlehorse/tasks/{task.wf_run_id}/{task.external_id}/complete",
        json={"user": "alice"},
    ).raise_for_status()
    lifecycle.task_cancel(task_id=task.id, user=alice, message="changed my mind")
    cancel = OutboxCommand.objects.filter(task=task, action="cancel").get()
    assert push_command(cancel.pk) == "conflict"
    cancel.refresh_from_db()
    assert cancel.status == "conflict" and "403" in cancel.last_error
    assert "completed, not cancelled" in cancel.conflict_detail
    event = task.events.filter(kind="UPSTREAM_CHANGED").last()
    assert event.data["write_back"] == "cancel" and event.data["outcome"] == "conflict"
    assert UserTask.objects.get(pk=task.pk).delivery == "conflict"


@pytest.mark.django_db(transaction=True)
def test_two_workers_polling_one_source_at_once_write_everything_once(
    make_source, staff, simulators
):
    source = make_source("littlehorse")
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(poll(source.pk, force=True).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ok", "skipped"], "the lease lets exactly one worker poll"
    assert poll(source.pk, force=True).status == "ok"
    tasks = UserTask.objects.filter(source=source)
    assert tasks.count() == reference_count(simulators)
    assert TaskEvent.objects.filter(task__source=source, kind="CREATED").count() == tasks.count()
    assert Source.objects.get(pk=source.pk).lease_until is None


@pytest.mark.django_db
def test_sync_now_polls_a_source_that_is_backing_off(make_source, staff, simulators):
    from django.utils import timezone

    from config.celery import app
    from inbox.tasks import enqueue_source_poll

    source = make_source("littlehorse")
    Source.objects.filter(pk=source.pk).update(
        consecutive_failures=3, next_attempt_at=timezone.now() + timezone.timedelta(hours=1)
    )
    assert poll(source.pk).status == "skipped", "the schedule waits out the backoff"
    app.conf.task_always_eager = True  # run the queued poll here, as a worker would
    try:
        assert enqueue_source_poll(source.pk)
    finally:
        app.conf.task_always_eager = False
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_success_at is not None
    assert UserTask.objects.filter(source=source).count() == reference_count(simulators)
