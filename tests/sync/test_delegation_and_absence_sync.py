"""Delegation and out of office against a real engine (the LittleHorse simulator, over HTTP):
a delegation reaches the engine once, as an assignment to the new holder; while someone is
away, the tasks the engine assigns to them land with their substitute, and after the absence
the engine's assignment is followed again."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.utils import timezone

from accounts.absences import absence_create
from inbox.models import OutboxCommand, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll
from simulators.data import BY_USERNAME
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def assign_writes(sims):
    response = httpx.get(f"{sims.control_url}/_control/littlehorse/writebacks")
    response.raise_for_status()
    return [w for w in response.json()["writebacks"] if w["path"].rsplit("/", 1)[-1] == "assign"]


def test_a_delegation_is_written_back_to_the_engine_once(make_source, staff, simulators):
    source = make_source("littlehorse")
    poll(source.pk)
    alice, bob = staff["users"]["alice"], staff["users"]["bob"]
    task = (
        UserTask.objects.filter(source=source, status="UNASSIGNED", group__name="support")
        .order_by("created_at")
        .first()
    )
    client = client_for(alice)
    assert client.post(f"/api/v1/tasks/{task.id}/claim/").status_code == 200
    response = client.post(
        f"/api/v1/tasks/{task.id}/delegate/", {"user": "bob", "note": "over to you"}, format="json"
    )
    assert response.status_code == 200, response.content
    pending = list(OutboxCommand.objects.filter(task=task).order_by("id"))
    assert [c.action for c in pending] == ["claim", "assign"]
    assert pending[1].payload["user"] == "bob"
    assert [push_command(c.pk) for c in pending] == ["delivered", "delivered"]
    assert push_command(pending[1].pk) == "skipped"  # pushed once, never again
    writes = assign_writes(simulators)
    assert len(writes) == 2  # the claim (to alice), then the delegation (to bob)
    assert writes[-1]["body"]["userId"] == BY_USERNAME["bob"].guid  # the engine's id for bob
    assert writes[0]["body"]["userId"] == BY_USERNAME["alice"].guid
    # The engine now says bob: a later poll keeps the task with bob and changes nothing.
    poll(source.pk, force=True)
    task.refresh_from_db()
    assert task.assignee == bob and task.status == "ASSIGNED"
    assert task.events.filter(kind=TaskEvent.Kind.ASSIGNED).count() == 2


def test_while_someone_is_away_engine_assignments_land_with_their_substitute(
    make_source, staff, simulators
):
    carol, alice = staff["users"]["carol"], staff["users"]["alice"]
    now = timezone.now()
    absence_create(
        user=carol,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        substitute=alice,
    )
    source = make_source("littlehorse")
    poll(source.pk)
    open_for_carol = UserTask.objects.filter(source=source, status="ASSIGNED", group__name="legal")
    count = open_for_carol.count()
    assert count > 0
    assert set(open_for_carol.values_list("assignee__username", flat=True)) == {"alice"}
    created = TaskEvent.objects.filter(task__in=open_for_carol, kind="CREATED")
    assert {e.data["away_for"]["username"] for e in created} == {"carol"}
    # what carol finished before stays hers
    assert UserTask.objects.filter(source=source, status="DONE", assignee=carol).exists()
    # after the absence, a fresh import follows the engine again (nothing was pushed yet)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        fresh = make_source("littlehorse", name="littlehorse-later")
        poll(fresh.pk)
        assigned = UserTask.objects.filter(source=fresh, status="ASSIGNED", group__name="legal")
        assert set(assigned.values_list("assignee__username", flat=True)) == {"carol"}
        assert not OutboxCommand.objects.filter(source=fresh).exists()
    # the substitution is written back once per task, so the engine agrees: alice holds them
    commands = OutboxCommand.objects.filter(source=source).order_by("id")
    assert [(c.action, c.payload["user"]) for c in commands] == [("assign", "alice")] * count
    assert {push_command(c.pk) for c in commands} == {"delivered"}
    writes = assign_writes(simulators)
    assert len(writes) == count
    assert {w["body"]["userId"] for w in writes} == {BY_USERNAME["alice"].guid}
    poll(source.pk, force=True)
    assert set(open_for_carol.values_list("assignee__username", flat=True)) == {"alice"}
    assert OutboxCommand.objects.filter(source=source).count() == count  # nothing more to send
