"""Out-of-office races on PostgreSQL with real threads: two runs of the return job give each
held task back once, and two overlapping absences saved at once are not both accepted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.absences import absence_create
from accounts.models import Absence
from inbox import lifecycle
from inbox.models import TaskEvent, UserTask
from tests.factories import TaskFactory
from tests.inbox.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_return_jobs_at_once_give_each_held_task_back_once(assignee, member, group):
    held = [TaskFactory(group=group, user=assignee) for _ in range(5)]
    now = timezone.now()
    absence_create(
        user=assignee,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        substitute=member,
        return_tasks=True,
    )
    counts = []
    outcomes = race([lambda: counts.append(lifecycle.tasks_return_for_absences())] * 4)
    assert outcomes == ["ok"] * 4
    assert sorted(counts) == [0, 0, 0, 5]
    for task in held:
        assert UserTask.objects.get(pk=task.pk).status == "UNASSIGNED"
        assert TaskEvent.objects.filter(task_id=task.pk, kind="ASSIGNED").count() == 1


def test_overlapping_absences_saved_at_once_are_not_both_kept(assignee, member):
    now = timezone.now()

    def add(hours):
        return lambda: absence_create(
            user=assignee,
            starts_at=now + timedelta(hours=hours),
            ends_at=now + timedelta(hours=hours + 48),
            substitute=member,
        )

    outcomes = race([add(1), add(2), add(3)])
    assert sorted(outcomes) == ["ok", "validation", "validation"]
    assert Absence.objects.filter(user=assignee).count() == 1
