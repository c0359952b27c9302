"""An escalation that reassigns an engine's task is written back to the engine once, like any
assignment, and the next poll agrees with it."""

import re
from datetime import timedelta

import httpx
import pytest
from django.urls import reverse

from inbox.models import Case, OutboxCommand, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll
from sla.models import EscalationRule, SlaPolicy
from sla.policies import recompute_open_tasks
from sla.scanner import scan

pytestmark = pytest.mark.django_db


def writebacks(sims):
    return httpx.get(f"{sims.control_url}/_control/littlehorse/writebacks").json()["writebacks"]


def test_an_escalation_reassignment_reaches_the_engine_once(make_source, staff, simulators):
    source = make_source("littlehorse")
    assert poll(source.pk).status == "ok"
    task = UserTask.objects.filter(source=source, status="UNASSIGNED").order_by("id").first()
    policy = SlaPolicy.objects.create(
        name="LittleHorse steps",
        source=source,
        task_type=task.task_type,
        time_basis="wall",
        complete_within=timedelta(minutes=1),
    )
    carol = staff["users"]["carol"]
    EscalationRule.objects.create(
        policy=policy,
        trigger="unclaimed",
        offset=timedelta(0),
        reassign_user=carol,
        notify_holder=True,
    )
    recompute_open_tasks(policy_ids=[policy.pk])  # what saving the policy enqueues
    escalated = list(
        UserTask.objects.filter(source=source, task_type=task.task_type, status="UNASSIGNED")
    )
    assert task in escalated
    result = scan()
    assert result.fired == len(escalated)
    assert scan().fired == 0
    commands = OutboxCommand.objects.filter(task__in=escalated, action="assign")
    assert commands.count() == len(escalated)
    for command in commands:
        assert push_command(command.pk) == "delivered"
    received = [w for w in writebacks(simulators) if task.external_id in w["path"]]
    assert [w["path"].rsplit("/", 1)[1] for w in received] == ["assign"]
    assert received[0]["body"]["userId"], "the engine is told whom"
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("ASSIGNED", carol)
    # The engine now says what the inbox did: the next poll changes nothing back.
    assert poll(source.pk, force=True).status == "ok"
    task.refresh_from_db()
    assert task.assignee == carol
    assert TaskEvent.objects.filter(task=task, kind="ESCALATED").count() == 1
    assert [
        w["path"].rsplit("/", 1)[1] for w in writebacks(simulators) if task.external_id in w["path"]
    ] == ["assign"]


def test_uipath_stage_slas_read_as_due_times_on_the_case_page(
    make_source, staff, simulators, client, admin
):
    source = make_source("uipath")
    assert poll(source.pk).status == "ok"
    case = (
        Case.objects.filter(
            source=source, stages__sla__isnull=False, stages__started_at__isnull=False
        )
        .distinct()
        .first()
    )
    assert case is not None, "the demo has stages with an SLA that have started"
    client.force_login(admin)
    html = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert "data-stage-sla" in html
    assert re.search(r"SLA \d+ (hour|day|week|month)s?", html)
    assert re.search(r"breached \d+[mhdw] ago|due in \d+[mhdw]|met|missed by \d+[mhdw]", html)
    assert "escalationRule" not in html and "unit:" not in html
