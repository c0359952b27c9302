"""Business calendars and SLA policies: due and follow-up dates across a weekend and public
holidays, the engine's own due date, bulk recompute of open tasks, refusals naming the field."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from inbox import lifecycle
from inbox.models import UserTask
from sla.calendars import Clock
from sla.models import EscalationRule, ExtraClosedDay, SlaPolicy, TaskSla
from sla.policies import allows_outside_delegation, recompute_open_tasks
from sla.tasks import recompute
from tests.api.conftest import client_for
from tests.factories import TaskFactory, UserFactory
from tests.sla.conftest import THURSDAY_15H, berlin

pytestmark = pytest.mark.django_db


def test_business_hours_skip_the_easter_weekend_and_its_holidays(calendar):
    clock = Clock(calendar)
    # Thu 15:00 + 4 business hours: 2h on Thursday, Good Friday to Easter Monday closed.
    assert clock.shift(THURSDAY_15H, timedelta(hours=4)) == berlin(7, 11)
    # Backwards from Tuesday 10:00 by 2 business hours: 1h on Tuesday, 1h on Thursday.
    assert clock.shift(berlin(7, 10), -timedelta(hours=2)) == berlin(2, 16)
    assert clock.between(THURSDAY_15H, berlin(7, 11)) == timedelta(hours=4)


def test_a_task_gets_its_policys_due_and_follow_up_dates(policy, group):
    with time_machine.travel(THURSDAY_15H, tick=False):
        task = TaskFactory(group=group)
    assert task.due_at == berlin(8, 15), "Thu 2h + Tue 8h + Wed 6h of work"
    assert task.due_from_policy
    stored = UserTask.objects.get(pk=task.pk)
    assert (stored.due_at, stored.version) == (task.due_at, task.version)
    assert TaskSla.objects.get(task=task).follow_up_at == berlin(7, 11)


def test_an_extra_closed_day_moves_the_due_date(policy, calendar, group):
    ExtraClosedDay.objects.create(calendar=calendar, date="2026-04-08", name="Company day")
    with time_machine.travel(THURSDAY_15H, tick=False):
        task = TaskFactory(group=group)
    assert task.due_at == berlin(9, 15)


def test_the_engines_due_date_wins_unless_the_policy_says_otherwise(policy, group):
    engine_due = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(THURSDAY_15H, tick=False):
        kept = TaskFactory(group=group, due_at=engine_due)
        policy.engine_due_wins = False
        policy.save()
        overridden = TaskFactory(group=group, due_at=engine_due)
    assert kept.due_at == engine_due and not kept.due_from_policy
    assert overridden.due_at == berlin(8, 15)
    assert TaskSla.objects.get(task=overridden).engine_due_at == engine_due


def test_wall_clock_policies_count_every_hour(calendar, group):
    SlaPolicy.objects.create(
        name="Urgent", task_type="approval", time_basis="wall", complete_within=timedelta(hours=4)
    )
    with time_machine.travel(THURSDAY_15H, tick=False):
        task = TaskFactory(group=group)
    assert task.due_at == THURSDAY_15H + timedelta(hours=4)


def test_tasks_no_policy_matches_keep_what_the_engine_sent(policy, group):
    task = TaskFactory(group=group, task_type="invoice")
    assert task.due_at is None
    assert not TaskSla.objects.filter(task=task).exists()


def test_the_most_specific_policy_wins(policy, calendar, group, other_group):
    SlaPolicy.objects.create(
        name="Finance approvals",
        task_type="approval",
        group=group,
        calendar=calendar,
        complete_within=timedelta(hours=2),
    )
    with time_machine.travel(THURSDAY_15H, tick=False):
        finance = TaskFactory(group=group)
        legal = TaskFactory(group=other_group)
    assert finance.due_at == berlin(2, 17)
    assert legal.due_at == berlin(8, 15)


def test_a_changed_policy_is_applied_to_open_tasks_in_bulk(policy, group, member):
    with time_machine.travel(THURSDAY_15H, tick=False):
        open_tasks = [TaskFactory(group=group) for _ in range(5)]
        done = TaskFactory(group=group, user=member)
        lifecycle.task_complete(
            task_id=done.pk, user=member, results={"approved": True, "note": "ok"}
        )
    done_due = UserTask.objects.get(pk=done.pk).due_at
    policy.complete_within = timedelta(hours=8)
    policy.save()
    assert recompute([policy.pk]) == 5  # the Celery task the save enqueues
    dues = set(
        UserTask.objects.filter(pk__in=[t.pk for t in open_tasks]).values_list("due_at", flat=True)
    )
    assert dues == {berlin(7, 15)}
    assert UserTask.objects.get(pk=done.pk).due_at == done_due, "finished tasks keep theirs"
    policy.delete()
    recompute_open_tasks(policy_ids=[policy.pk])
    assert set(
        UserTask.objects.filter(pk__in=[t.pk for t in open_tasks]).values_list("due_at", flat=True)
    ) == {None}
    assert not TaskSla.objects.filter(task__in=open_tasks).exists()


def test_lists_sort_by_the_policys_follow_up_date_and_follow_its_changes(
    policy, calendar, group, member
):
    urgent = SlaPolicy.objects.create(
        name="Urgent", task_type="urgent", calendar=calendar, claim_within=timedelta(hours=1)
    )
    with time_machine.travel(THURSDAY_15H, tick=False):
        approval = TaskFactory(group=group, title="approval")  # claim by Tue 11:00
        free = TaskFactory(group=group, title="no policy", task_type="memo")
        rush = TaskFactory(group=group, title="urgent", task_type="urgent")  # Thu 16:00
    bob = client_for(member)

    def titles(sort):
        response = bob.get("/api/v1/tasks/", {"sort": sort})
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles("follow_up") == ["urgent", "approval", "no policy"], "none last ascending"
    assert titles("-follow_up") == ["no policy", "approval", "urgent"], "none first descending"
    policy.claim_within = timedelta(minutes=30)  # now Thu 15:30: before the urgent one
    policy.save()
    recompute_open_tasks(policy_ids=[policy.pk])
    assert titles("follow_up") == ["approval", "urgent", "no policy"]
    urgent.delete()
    recompute_open_tasks(policy_ids=[urgent.pk])
    assert titles("follow_up")[0] == "approval"
    assert UserTask.objects.get(pk=rush.pk).follow_up_at is None, "no policy, no follow-up"
    assert UserTask.objects.get(pk=free.pk).follow_up_at is None
    assert UserTask.objects.get(pk=approval.pk).follow_up_at == berlin(2, 15, 30)


def test_delegation_outside_the_group_follows_the_policy(policy, group):
    task = TaskFactory(group=group)
    assert allows_outside_delegation(task) is False
    policy.allow_delegation_outside_group = True
    policy.save()
    assert allows_outside_delegation(task) is True
    assert allows_outside_delegation(TaskFactory(group=group, task_type="other")) is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"claim_within": timedelta(hours=-1)}, "claim_within"),
        ({"complete_within": timedelta(0)}, "complete_within"),
    ],
)
def test_a_policy_with_a_negative_duration_is_refused_naming_the_field(policy, changes, field):
    for name, value in changes.items():
        setattr(policy, name, value)
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert field in caught.value.message_dict


def test_a_calendar_without_working_hours_is_refused(calendar, policy):
    calendar.day_end = calendar.day_start
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert "day_end" in caught.value.message_dict
    calendar.save()
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert "no working hours" in caught.value.message_dict["calendar"][0]
    calendar.day_end, calendar.working_days = "17:00", []
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert "working_days" in caught.value.message_dict


def test_a_reassignment_to_a_deleted_group_is_refused(policy, other_group):
    rule = EscalationRule(policy=policy, trigger="overdue", reassign_group=other_group)
    rule.full_clean()
    other_group.delete()
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert "reassign_group" in caught.value.message_dict
    bad = EscalationRule(policy=policy, trigger="overdue", offset=timedelta(hours=-2))
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "offset" in caught.value.message_dict


def test_a_policy_allowing_it_lets_the_holder_delegate_outside_the_group(policy, group, outsider):
    """The SLA policy's flag decides delegation outside the group, through the API."""
    holder = UserFactory(username="hana", groups=[group])
    task = lifecycle.task_claim(
        task_id=TaskFactory(group=group, task_type="approval").id, user=holder
    )
    url = f"/api/v1/tasks/{task.id}/delegate/"
    refused = client_for(holder).post(url, {"user": outsider.username}, format="json")
    assert refused.status_code == 400 and "user" in refused.json()["fields"]
    policy.allow_delegation_outside_group = True
    policy.save()
    task.refresh_from_db()
    response = client_for(holder).post(
        url, {"user": outsider.username, "version": task.version}, format="json"
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.assignee == outsider
