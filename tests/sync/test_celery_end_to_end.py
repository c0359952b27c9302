"""End to end with real Celery workers on Redis: polls bring tasks in, an API completion is
pushed to the engine by a worker, and a write-back queued while no worker runs arrives exactly
once when a new worker starts."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from inbox.models import OutboxCommand, UserTask
from inbox.tasks import enqueue_source_poll

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    """The suite's Redis broker (CELERY_BROKER_URL), emptied of messages left by other tests."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail("the end-to-end test needs CELERY_BROKER_URL=redis://... (make test sets it)")
    redis.Redis.from_url(url).flushdb()
    return url


def start_worker(broker_url: str, name: str, log=None, threads: int = 0) -> subprocess.Popen:
    """A solo-pool worker; its stderr goes to ``log`` (a file) when given: a pipe nobody reads
    blocks a chatty worker once full."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret"),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            *(["threads", "--concurrency", str(threads)] if threads else ["solo"]),
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log or subprocess.PIPE,
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        worker.send_signal(sig)
        worker.wait(20)


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


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
