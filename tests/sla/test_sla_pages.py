"""What people read: SLA state in words on the task and case pages (never the engine's raw
JSON), escalations in the task's history, and lists filtered by breached / at risk."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from inbox.models import Case, Stage
from sla.models import EscalationRule
from sla.scanner import scan
from tests.factories import SourceFactory, TaskFactory
from tests.sla.conftest import THURSDAY_15H, berlin

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_task_page_says_claim_within_and_due_in_words(client, policy, group, member):
    with time_machine.travel(THURSDAY_15H, tick=False):
        task = TaskFactory(group=group)
        html = page(client, member, reverse("inbox:task", args=[task.pk]))
    assert "claim within 4d" in html, "Thursday 15:00 to Tuesday 11:00, in wall-clock words"
    assert "due in 6d" in html
    with time_machine.travel(berlin(9, 15), tick=False):
        html = page(client, member, reverse("inbox:task", args=[task.pk]))
    assert "claim breached 2d ago" in html
    assert "breached 1d ago" in html


def test_an_escalation_shows_on_the_task_and_in_its_history(client, policy, group, member):
    EscalationRule.objects.create(
        policy=policy, trigger="unclaimed", offset=timedelta(hours=4), raise_priority=2
    )
    with time_machine.travel(THURSDAY_15H, tick=False):
        task = TaskFactory(group=group)
    with time_machine.travel(berlin(7, 12), tick=False):
        assert scan().fired == 1
        html = page(client, member, reverse("inbox:task", args=[task.pk]))
    assert "escalated: unclaimed 4 business hours" in html
    assert "escalated it: unclaimed 4 business hours (priority raised to 2)" in html


def test_the_case_page_evaluates_uipath_stage_slas(client, admin):
    now = timezone.now()
    case = Case.objects.create(
        source=SourceFactory(name="uipath-demo", kind="uipath"), external_id="c-1", name="Loan"
    )
    Stage.objects.create(
        case=case,
        external_id="s-1",
        name="Approval",
        position=1,
        status="InProgress",
        sla={"count": 1, "unit": "d", "escalationRule": []},
        started_at=now - timedelta(days=2),
    )
    Stage.objects.create(
        case=case,
        external_id="s-2",
        name="Review",
        position=2,
        status="InProgress",
        sla={"count": 3, "unit": "h", "escalationRule": []},
        started_at=now - timedelta(minutes=1),
    )
    html = page(client, admin, reverse("inbox:case", args=[case.pk]))
    assert "SLA 1 day" in html and "breached 1d ago" in html
    assert "SLA 3 hours" in html and "due in 2h" in html
    assert "escalationRule" not in html and "unit: d" not in html


def test_lists_filter_breached_and_at_risk_tasks(client, group, member):
    now = timezone.now()
    late = TaskFactory(group=group, title="Late one", due_at=now - timedelta(hours=1))
    soon = TaskFactory(group=group, title="Soon one", due_at=now + timedelta(hours=1))
    TaskFactory(group=group, title="Later one", due_at=now + timedelta(days=3))
    TaskFactory(group=group, title="Undated one")
    client.force_login(member)

    def titles(sla):
        response = client.get("/api/v1/tasks/", {"sla": sla})
        assert response.status_code == 200
        return [t["title"] for t in response.json()["results"]]

    assert titles("breached") == [late.title]
    assert titles("at_risk") == [soon.title]
    html = page(client, member, reverse("inbox:claimable") + "?sla=breached")
    assert "Late one" in html and "Soon one" not in html and "Later one" not in html
    bad = client.get("/api/v1/tasks/", {"sla": "late"})
    assert bad.status_code == 400
    assert bad.json()["fields"]["sla"] == ["Must be breached or at_risk."]
