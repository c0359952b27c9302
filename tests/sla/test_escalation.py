"""Escalation rules fired by the scanner at frozen times across the Easter weekend: each rule
once, in the task's history, with notifications through the notification service."""

from datetime import timedelta

import pytest
import time_machine

from inbox import lifecycle
from inbox.models import TaskEvent, UserTask
from notifications.fanout import pump
from notifications.models import Kind, Notification
from sla.models import EscalationFiring, EscalationRule, TaskSla
from sla.scanner import scan
from tests.factories import TaskFactory
from tests.sla.conftest import THURSDAY_15H, berlin

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(policy, leads, other_group):
    _, lead_group = leads
    unclaimed = EscalationRule.objects.create(
        policy=policy,
        trigger="unclaimed",
        offset=timedelta(hours=4),
        notify_group=True,
        raise_priority=5,
    )
    warning = EscalationRule.objects.create(
        policy=policy, trigger="before_due", offset=timedelta(hours=2), notify_holder=True
    )
    overdue = EscalationRule.objects.create(
        policy=policy,
        trigger="overdue",
        offset=timedelta(hours=1),
        notify_manager_group=lead_group,
        reassign_group=other_group,
    )
    return unclaimed, warning, overdue


def at(moment):
    return time_machine.travel(moment, tick=False)


def escalations(task):
    return list(
        TaskEvent.objects.filter(task=task, kind="ESCALATED")
        .order_by("id")
        .values_list("data", flat=True)
    )


def notices(user, kind=Kind.ESCALATED):
    return list(Notification.objects.filter(user=user, kind=kind).values_list("title", flat=True))


def test_each_rule_fires_once_at_its_business_time(rules, group, assignee, member, leads):
    lead, _ = leads
    with at(THURSDAY_15H):
        task = TaskFactory(group=group, title="Approve the budget")
    assert TaskSla.objects.get(task=task).next_escalation_at == berlin(7, 11)
    with at(berlin(6, 12)):  # Easter Monday: no business time has passed since Thursday
        assert scan().fired == 0
    with at(berlin(7, 11, 30)):
        assert scan().fired == 1
        assert scan().fired == 0, "a second tick fires nothing"
    task.refresh_from_db()
    assert task.priority == 5
    assert [e["reason"] for e in escalations(task)] == ["unclaimed 4 business hours"]
    assert TaskSla.objects.get(task=task).escalated == "escalated: unclaimed 4 business hours"
    pump()
    assert notices(member) == ["Escalated (unclaimed 4 business hours): Approve the budget"]
    assert notices(assignee) == notices(member)

    with at(berlin(7, 12)):
        lifecycle.task_claim(task_id=task.pk, user=assignee)
    with at(berlin(8, 13, 30)):  # two business hours before Wednesday 15:00
        assert scan().fired == 1
    with at(berlin(8, 16, 30)):  # overdue by an hour
        assert scan().fired == 1
    with at(berlin(20, 9)):
        assert scan().fired == 0
    task.refresh_from_db()
    assert (task.status, task.assignee, task.group.name) == ("UNASSIGNED", None, "legal")
    assert [e["reason"] for e in escalations(task)] == [
        "unclaimed 4 business hours",
        "2 business hours before due",
        "overdue 1 business hour",
    ]
    assert escalations(task)[-1]["actions"] == ["reassigned"]
    assert EscalationFiring.objects.filter(task=task).count() == 3
    assert TaskSla.objects.get(task=task).next_escalation_at is None
    pump()
    assert notices(assignee)[0] == "Escalated (2 business hours before due): Approve the budget"
    assert notices(lead) == ["Escalated (overdue 1 business hour): Approve the budget"]
    assert notices(assignee, Kind.TAKEN_AWAY), "the holder hears the task was taken away"


def test_an_unclaimed_rule_lapses_when_the_task_is_claimed_in_time(rules, group, assignee):
    with at(THURSDAY_15H):
        task = TaskFactory(group=group)
        lifecycle.task_claim(task_id=task.pk, user=assignee)
    with at(berlin(7, 11, 30)):
        assert scan().fired == 0
    assert escalations(task) == []
    assert UserTask.objects.get(pk=task.pk).priority == 0


def test_finished_tasks_leave_the_scan(rules, group, assignee):
    with at(THURSDAY_15H):
        task = TaskFactory(group=group, user=assignee)
        lifecycle.task_complete(
            task_id=task.pk, user=assignee, results={"approved": True, "note": "ok"}
        )
    with at(berlin(20, 9)):
        assert scan().fired == 0
    assert TaskSla.objects.get(task=task).next_escalation_at is None


def test_a_task_created_already_late_fires_its_past_rules_at_the_next_scan(rules, group):
    with at(berlin(9, 10)):
        task = TaskFactory(group=group, created_at=THURSDAY_15H)
        assert scan().fired == 3, "unclaimed, before due, overdue: all already due"
        assert scan().fired == 0
    assert len(escalations(task)) == 3
