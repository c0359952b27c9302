"""With a real Celery worker on Redis: a policy saved by an admin reaches the open tasks it
concerns (recomputed by the worker after the commit), and the beat entry's scanner task fires
an escalation whose notification the worker then fans out."""

import subprocess
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from inbox.models import TaskEvent, UserTask
from notifications.models import Kind, Notification
from sla.models import EscalationRule, SlaPolicy
from tests import celery_workers
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(broker):
    process = celery_workers.start_worker(broker, "sla", log=subprocess.DEVNULL)
    yield process
    celery_workers.stop(process)


def test_a_saved_policy_reaches_open_tasks_and_its_rule_fires_through_the_worker(
    worker, group, member
):
    hour_ago = timezone.now() - timedelta(hours=1)
    tasks = [TaskFactory(group=group, title=f"Open {i}", created_at=hour_ago) for i in range(3)]
    assert {t.due_at for t in tasks} == {None}
    policy = SlaPolicy.objects.create(
        name="Wall clock", time_basis="wall", complete_within=timedelta(hours=8)
    )
    EscalationRule.objects.create(
        policy=policy, trigger="unclaimed", offset=timedelta(minutes=30), notify_group=True
    )
    celery_workers.wait_for(
        lambda: not UserTask.objects.filter(pk__in=[t.pk for t in tasks], due_at=None).exists(),
        "the worker's recompute of open tasks",
        timeout=120,
    )
    assert set(
        UserTask.objects.filter(title__startswith="Open").values_list("due_at", flat=True)
    ) == {hour_ago + timedelta(hours=8)}
    current_app.send_task("sla.tasks.scan_escalations")  # what beat sends every SLA_SCAN_SECONDS
    celery_workers.wait_for(
        lambda: Notification.objects.filter(user=member, kind=Kind.ESCALATED).count() == 3,
        "the escalation notices",
        timeout=120,
    )
    assert TaskEvent.objects.filter(kind="ESCALATED").count() == 3
    current_app.send_task("sla.tasks.scan_escalations")
    celery_workers.wait_for(lambda: True, "a second tick")
    assert TaskEvent.objects.filter(kind="ESCALATED").count() == 3
