"""End to end with real Celery workers on Redis: polls bring tasks in, an API completion is
pushed to the engine by a worker, and a write-back queued while no worker runs arrives exactly
once when a new worker starts."""

import json
import signal
import time

import httpx
import pytest
import redis
from django.db import transaction
from rest_framework.test import APIClient

from inbox import dispatch
from inbox.models import OutboxCommand, UserTask
from inbox.tasks import enqueue_source_poll
from tests.celery_workers import start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def result_writebacks(sims, task):
    items = httpx.get(f"{sims.control_url}/_control/littlehorse/writebacks").json()["writebacks"]
    return [w for w in items if w["path"].endswith(f"/{task.external_id}/result")]


def complete_through_the_api(user, task):
    client = APIClient()
    client.force_authenticate(user)
    assert client.post(f"/api/v1/tasks/{task.id}/claim/").status_code == 200
    results = {
        f["name"]: {"BOOLEAN": True, "STRING": "ok", "INTEGER": 1, "DOUBLE": 1.5}[f["type"]]
        for f in task.fields
        if f["required"]
    }
    response = client.post(
        f"/api/v1/tasks/{task.id}/complete/", {"results": results}, format="json"
    )
    assert response.status_code == 200, response.content


def test_workers_sync_tasks_and_write_back_exactly_once(broker, make_source, staff, simulators):
    source = make_source("littlehorse")
    alice = staff["users"]["alice"]
    worker = start_worker(broker, "first")
    try:
        enqueue_source_poll(source.pk)
        wait_for(lambda: UserTask.objects.filter(source=source).count() >= 25, "the first poll")
        first, second = UserTask.objects.filter(
            source=source, status="UNASSIGNED", group__in=alice.groups.all()
        ).order_by("created_at")[:2]

        complete_through_the_api(alice, first)
        wait_for(lambda: result_writebacks(simulators, first), "the first write-back")
        wait_for(
            lambda: (
                not OutboxCommand.objects.filter(
                    task=first, status__in=("pending", "retrying")
                ).exists()
            ),
            "the outbox to drain",
        )

        # The worker dies; a completion is made while none runs: its push waits in the broker.
        stop(worker, signal.SIGKILL)
        complete_through_the_api(alice, second)
        assert OutboxCommand.objects.filter(task=second, status="pending").count() == 2
        time.sleep(1)
        assert result_writebacks(simulators, second) == []

        worker = start_worker(broker, "second")
        wait_for(lambda: result_writebacks(simulators, second), "the write-back after restart")
        wait_for(
            lambda: (
                not OutboxCommand.objects.filter(
                    task=second, status__in=("pending", "retrying")
                ).exists()
            ),
            "the outbox to drain",
        )
        time.sleep(2)  # anything duplicated would have arrived by now
        assert len(result_writebacks(simulators, first)) == 1
        assert len(result_writebacks(simulators, second)) == 1
        assert set(OutboxCommand.objects.filter(task=second).values_list("status", flat=True)) == {
            "delivered"
        }
    finally:
        stop(worker)


def assign_writebacks(sims, task):
    items = httpx.get(f"{sims.control_url}/_control/littlehorse/writebacks").json()["writebacks"]
    return [w for w in items if w["path"].endswith(f"/{task.external_id}/assign")]


def test_claims_of_one_moment_go_out_as_one_message_and_each_reaches_the_engine_once(
    broker, make_source, staff, simulators
):
    """A web process gathers the write-back pushes asked for within a moment (here: three
    claims committed together) into ONE broker message naming every command in order; a worker
    pushes each of them, exactly once."""
    source = make_source("littlehorse")
    alice = staff["users"]["alice"]
    worker = start_worker(broker, "poller")
    try:
        enqueue_source_poll(source.pk)
        wait_for(lambda: UserTask.objects.filter(source=source).count() >= 25, "the first poll")
    finally:
        stop(worker)
    tasks = list(
        UserTask.objects.filter(
            source=source, status="UNASSIGNED", group__in=alice.groups.all()
        ).order_by("created_at")[:3]
    )
    assert len(tasks) == 3
    redis.Redis.from_url(broker).flushdb()
    client = APIClient()
    client.force_authenticate(alice)
    with transaction.atomic():  # their pushes are asked for at once, when this commits
        for task in tasks:
            assert client.post(f"/api/v1/tasks/{task.id}/claim/").status_code == 200
    assert dispatch.flush()

    queued = [json.loads(m) for m in redis.Redis.from_url(broker).lrange("celery", 0, -1)]
    pushes = [m["headers"] for m in queued if m["headers"]["task"].startswith("inbox.tasks.push")]
    commands = list(
        OutboxCommand.objects.filter(task__in=tasks, action="claim")
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert len(commands) == 3
    assert [(p["task"], p["argsrepr"]) for p in pushes] == [
        ("inbox.tasks.push_outbox_commands", repr(([*commands],)))
    ]

    worker = start_worker(broker, "pusher")
    try:
        for task in tasks:
            wait_for(lambda task=task: assign_writebacks(simulators, task), "the claim's push")
        wait_for(
            lambda: (
                set(OutboxCommand.objects.filter(id__in=commands).values_list("status", flat=True))
                == {"delivered"}
            ),
            "the claims to be delivered",
        )
        time.sleep(2)  # anything duplicated would have arrived by now
        assert [len(assign_writebacks(simulators, task)) for task in tasks] == [1, 1, 1]
    finally:
        stop(worker)
