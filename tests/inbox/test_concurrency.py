"""Races on PostgreSQL with real threads, each on its own database connection."""

import threading

import pytest
from django.db import connection

from inbox import lifecycle
from inbox.errors import InboxError
from inbox.models import TaskEvent, UserTask
from tests.factories import TaskFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(workers):
    """Run each callable in its own thread, released at once; return outcomes in order."""
    barrier = threading.Barrier(len(workers))
    outcomes = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait()
            work()
            outcomes[index] = "ok"
        except InboxError as exc:
            outcomes[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_exactly_one_of_twenty_simultaneous_claims_wins(group):
    users = [UserFactory(username=f"claimer{i}", groups=[group]) for i in range(20)]
    task = TaskFactory(group=group)

    outcomes = race([lambda u=u: lifecycle.task_claim(task_id=task.id, user=u) for u in users])

    assert outcomes.count("ok") == 1
    assert outcomes.count("assignment") == 19
    task = UserTask.objects.get(pk=task.pk)
    winner = users[outcomes.index("ok")]
    assert (task.status, task.assignee, task.version) == ("ASSIGNED", winner, 2)
    assert TaskEvent.objects.filter(task=task, kind="ASSIGNED").count() == 1


def test_complete_racing_cancel_ends_in_exactly_one_terminal_state(group, assignee, admin):
    task = TaskFactory(group=group)
    lifecycle.task_claim(task_id=task.id, user=assignee)
    complete = lambda: lifecycle.task_complete(  # noqa: E731
        task_id=task.id, user=assignee, results={"approved": True}
    )
    cancel = lambda: lifecycle.task_admin_cancel(task_id=task.id, actor=admin)  # noqa: E731

    outcomes = race([complete, cancel] * 10)

    assert outcomes.count("ok") == 1
    assert outcomes.count("task_state") == 19
    task = UserTask.objects.get(pk=task.pk)
    terminal = TaskEvent.objects.filter(task=task, kind__in=["COMPLETED", "CANCELLED"])
    assert terminal.count() == 1
    assert task.status == {"COMPLETED": "DONE", "CANCELLED": "CANCELLED"}[terminal.get().kind]
    assert task.version == 3


def test_two_admins_saving_overlapping_sources_at_once_leaves_one(admin):
    from inbox import sources
    from inbox.models import Source

    def create(name):
        return lambda: sources.source_create(
            actor=admin,
            name=name,
            kind="cloudflare",
            base_url="https://cf.example.com/client/v4",
            watch={"account_id": "acc-1", "workflows": ["approvals"]},
        )

    outcomes = race([create(f"cf-{i}") for i in range(6)])

    assert outcomes.count("ok") == 1 and outcomes.count("validation") == 5
    assert Source.objects.filter(kind="cloudflare").count() == 1
