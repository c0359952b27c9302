"""Admins edit calendars and policies in the Django admin; impossible ones are refused at save
with the message next to the field."""

import pytest

from sla.models import SlaPolicy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="super", is_staff=True, is_superuser=True)


def policy_form(**overrides):
    data = {
        "name": "Approvals",
        "active": "on",
        "order": "100",
        "task_type": "approval",
        "time_basis": "business",
        "claim_within": "02:00:00",
        "complete_within": "1 00:00:00",
        "engine_due_wins": "on",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_a_policy_with_a_negative_duration_is_refused_in_the_admin(client, superuser, calendar):
    client.force_login(superuser)
    response = client.post("/django-admin/sla/slapolicy/add/", policy_form(claim_within="-1:00:00"))
    assert response.status_code == 200
    assert "Must be a positive duration." in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_rule_reassigning_to_a_missing_group_is_refused_in_the_admin(client, superuser, calendar):
    client.force_login(superuser)
    data = policy_form(
        **{
            "rules-TOTAL_FORMS": "1",
            "rules-0-trigger": "overdue",
            "rules-0-offset": "01:00:00",
            "rules-0-raise_priority": "0",
            "rules-0-reassign_group": "999999",
        }
    )
    response = client.post("/django-admin/sla/slapolicy/add/", data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_calendar_without_working_hours_is_refused_in_the_admin(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/django-admin/sla/businesscalendar/add/",
        {
            "name": "Night shift",
            "time_zone": "Europe/Berlin",
            "working_days": "[0, 1, 2, 3, 4]",
            "day_start": "17:00",
            "day_end": "09:00",
            "closed_days-TOTAL_FORMS": "0",
            "closed_days-INITIAL_FORMS": "0",
            "closed_days-MIN_NUM_FORMS": "0",
            "closed_days-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "no working hours" in response.content.decode()


def test_a_valid_policy_is_saved_in_the_admin(client, superuser, calendar):
    client.force_login(superuser)
    response = client.post("/django-admin/sla/slapolicy/add/", policy_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get()
    assert str(policy.claim_within) == "2:00:00"
