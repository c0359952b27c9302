"""LittleHorse connector against the simulator: sync, replay, write-backs, engine-side changes."""

import httpx
import pytest

from inbox import lifecycle
from inbox.models import OutboxCommand, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

pytestmark = pytest.mark.django_db


def writebacks(sims, engine):
    return httpx.get(f"{sims.control_url}/_control/{engine}/writebacks").json()["writebacks"]


def engine_tasks(source):
    return UserTask.objects.filter(source=source)


def test_a_full_sync_imports_every_user_task_run_once(make_source, staff, simulators):
    source = make_source("littlehorse")
    result = poll(source.pk)
    assert result.status == "ok", result.error
    tasks = engine_tasks(source)
    assert tasks.count() >= 25
    assert tasks.count() == tasks.values("external_id").distinct().count()
    assert tasks.filter(status="UNASSIGNED").exists()
    # Routed to local groups by name, assigned to local users by email.
    assert tasks.filter(group__name__in=["finance", "support", "legal"]).exists()
    assert tasks.filter(assignee__username__in=["alice", "bob", "carol"]).exists()
    task = tasks.exclude(fields=[]).first()
    assert {f["type"] for f in task.fields} <= {"STRING", "INTEGER", "DOUBLE", "BOOLEAN"}
    # "dave" is no inbox user: his tasks keep his name and stay with their group.
    daves = tasks.filter(upstream_assignee__icontains="dave")
    assert all(t.assignee is None for t in daves)
    source.refresh_from_db()
    assert source.last_success_at is not None and source.consecutive_failures == 0


def test_replaying_the_same_pages_writes_nothing(make_source, staff):
    source = make_source("littlehorse")
    poll(source.pk)
    events, versions = (
        TaskEvent.objects.count(),
        list(engine_tasks(source).order_by("id").values_list("version", flat=True)),
    )
    result = poll(source.pk)
    assert result.status == "ok"
    assert result.stats.tasks_created == 0 and result.stats.tasks_updated == 0
    assert TaskEvent.objects.count() == events
    assert list(engine_tasks(source).order_by("id").values_list("version", flat=True)) == versions


def test_the_first_poll_after_a_full_sync_that_finds_nothing_new_reads_no_record(
    make_source, staff
):
    """The full sync ends with the first open-only walk, whose page digests the next poll
    recognises: an unchanged engine costs that poll no parsing and no write."""
    source = make_source("littlehorse")
    assert poll(source.pk).status == "ok"
    events = TaskEvent.objects.count()
    result = poll(source.pk)
    assert result.status == "ok", result.error
    assert result.stats.tasks_unchanged == 0, "every open-task page was skipped unparsed"
    assert result.stats.pages_deferred == result.pages, "and none of them wrote anything"
    assert TaskEvent.objects.count() == events


def test_completing_in_the_inbox_writes_back_once(make_source, staff, simulators):
    source = make_source("littlehorse")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = engine_tasks(source).filter(status="UNASSIGNED", group__in=alice.groups.all()).first()
    lifecycle.task_claim(task_id=task.id, user=alice)
    results = {f["name"]: _sample(f["type"]) for f in task.fields if f["required"]}
    lifecycle.task_complete(task_id=task.id, user=alice, results=results)
    for command in OutboxCommand.objects.filter(task=task).order_by("id"):
        assert push_command(command.pk) == "delivered"
    received = [w for w in writebacks(simulators, "littlehorse") if task.external_id in w["path"]]
    assert [w["path"].rsplit("/", 1)[1] for w in received] == ["assign", "result"]
    assert received[1]["body"] == {k: v for k, v in task_results(task).items()}
    detail = httpx.get(
        f"{simulators.urls['littlehorse']}/default/admin/tasks/{task.wf_run_id}/{task.external_id}",
        headers={"Authorization": "Bearer sim-token"},
    ).json()
    assert detail["status"] == "DONE"
    # The next poll agrees with the engine: nothing changes.
    before = task.events.count()
    poll(source.pk)
    assert task.events.count() == before


def task_results(task):
    task.refresh_from_db()
    return task.results


def test_a_task_completed_in_the_engine_while_claimed_here_ends_done(
    make_source, staff, simulators
):
    source = make_source("littlehorse")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = engine_tasks(source).filter(status="UNASSIGNED", group__in=alice.groups.all()).first()
    lifecycle.task_claim(task_id=task.id, user=alice)
    httpx.post(
        f"{simulators.control_url}/_control/littlehorse/tasks/{task.wf_run_id}/{task.external_id}/complete",
        json={"user": "carol"},
    ).raise_for_status()
    poll(source.pk)
    task.refresh_from_db()
    assert task.status == "DONE"
    done = task.events.get(kind="COMPLETED")
    assert done.actor is None and done.actor_source == source
    assert task.results
    # The claim never reached the engine; it is settled, not pushed after the fact.
    assert not OutboxCommand.objects.filter(task=task, status__in=("pending", "retrying")).exists()


def test_an_engine_failure_is_recorded_and_a_later_poll_recovers(
    make_source, staff, simulators, settings
):
    source = make_source("littlehorse")
    # As many 503s in a row as a poll tries one request.
    count = settings.SYNC_HTTP_ATTEMPTS
    httpx.post(
        f"{simulators.control_url}/_control/faults",
        json={"engine": "littlehorse", "kind": "status", "status": 503, "count": count},
    ).raise_for_status()
    result = poll(source.pk)
    assert result.status == "failed"
    source.refresh_from_db()
    assert source.consecutive_failures == 1 and "503" in source.last_error
    assert source.next_attempt_at is not None
    assert poll(source.pk).status == "skipped", "backing off"
    assert poll(source.pk, force=True).status == "ok"
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_error == ""
    assert engine_tasks(source).count() >= 25


def _sample(field_type):
    return {"BOOLEAN": True, "DOUBLE": 1.5, "INTEGER": 2, "STRING": "ok"}[field_type]


def test_after_the_first_walk_a_poll_lists_open_and_new_tasks_and_still_sees_every_change(
    make_source, staff, simulators
):
    """Later polls walk only what can still change (open tasks, tasks scheduled since the last
    walk); a task finished upstream is looked up on its own, a task created and finished
    between two polls is still imported, with its results."""
    source = make_source("littlehorse")
    assert poll(source.pk).status == "ok"
    source.refresh_from_db()
    assert "since" in source.cursor, "the full walk ends by starting the open-only walks"
    control = f"{simulators.control_url}/_control/littlehorse"
    # A task finished upstream since the first poll (no longer in the open listings).
    task = engine_tasks(source).filter(status="UNASSIGNED").first()
    httpx.post(
        f"{control}/tasks/{task.wf_run_id}/{task.external_id}/complete", json={"user": "carol"}
    ).raise_for_status()
    # A task created and finished between the two polls.
    new = httpx.post(f"{control}/tasks", json={"type": "approve-expense"}).json()
    httpx.post(f"{control}/tasks/{new['wfRunId']}/{new['id']}/complete", json={"user": "carol"})
    result = poll(source.pk)
    assert result.status == "ok", result.error
    task.refresh_from_db()
    assert task.status == "DONE" and task.results
    assert task.case.status == "completed", "its run ends with it"
    created = engine_tasks(source).get(external_id=new["id"])
    assert created.status == "DONE" and created.results
    assert created.events.filter(kind="CREATED").count() == 1
    # Nothing else changed: a third poll writes nothing.
    events = TaskEvent.objects.count()
    again = poll(source.pk)
    assert again.stats.tasks_created == 0 and again.stats.tasks_updated == 0
    assert TaskEvent.objects.count() == events
