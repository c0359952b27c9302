"""Delivery is visible: the task page and the API show where each write-back stands, lists flag
tasks whose decision has not reached the engine, and admins settle failed or conflicting
write-backs on the Outbox page (and through the API): open, retry, or take the engine's state,
each leaving an event in the task's history."""

import httpx
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inbox import lifecycle
from inbox.models import OutboxCommand, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def control(sims, method, path, **kwargs):
    response = httpx.request(method, f"{sims.control_url}/_control/{path}", **kwargs)
    response.raise_for_status()
    return response.json()


def open_task(source, user):
    return (
        UserTask.objects.filter(source=source, status="UNASSIGNED", group__in=user.groups.all())
        .order_by("created_at")
        .first()
    )


@pytest.fixture
def refused_claim(make_source, staff, simulators):
    """A LittleHorse claim the engine refused (HTTP 400) and does not show: failed."""
    source = make_source("littlehorse")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = open_task(source, alice)
    lifecycle.task_claim(task_id=task.id, user=alice)
    control(
        simulators,
        "POST",
        "faults",
        json={"engine": "littlehorse", "kind": "status", "status": 400, "method": "POST"},
    )
    command = OutboxCommand.objects.get(task=task)
    assert push_command(command.pk) == "failed"
    control(simulators, "DELETE", "faults")
    return command


@pytest.fixture
def conflicting_completion(make_source, staff, simulators):
    """A UiPath approval while someone rejected the task inside UiPath: a conflict."""
    source = make_source("uipath")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = open_task(source, alice)
    lifecycle.task_claim(task_id=task.id, user=alice)
    assert push_command(OutboxCommand.objects.get(task=task).pk) == "delivered"
    lifecycle.task_complete(task_id=task.id, user=alice, results={"approved": True})
    control(
        simulators,
        "POST",
        f"uipath/tasks/{task.external_id}/complete",
        json={"action": "reject", "data": {"approved": False}},
    )
    command = OutboxCommand.objects.get(task=task, action="complete")
    assert push_command(command.pk) == "conflict"
    return command


def test_the_task_page_shows_a_write_back_on_its_way_then_delivered(
    client, make_source, staff, simulators
):
    source = make_source("littlehorse")
    poll(source.pk)
    alice = staff["users"]["alice"]
    task = open_task(source, alice)
    lifecycle.task_claim(task_id=task.id, user=alice)
    client.force_login(alice)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert 'data-state="pending"' in page and "On its way to the engine" in page
    assert reverse("inbox:task_delivery", args=[task.pk]) in page, "it polls while open"
    mine = client.get(reverse("inbox:home")).content.decode()
    assert 'data-delivery-flag="pending"' in mine

    assert push_command(OutboxCommand.objects.get(task=task).pk) == "delivered"
    card = client.get(reverse("inbox:task_delivery", args=[task.pk]), **HTMX).content.decode()
    assert 'data-state="delivered"' in card and "Delivered" in card
    assert "hx-trigger" not in card, "nothing left to wait for: the card stops polling"
    assert "data-delivery-flag" not in client.get(reverse("inbox:home")).content.decode()


def test_a_refused_write_back_shows_why_on_the_task_and_in_the_api(client, refused_claim, staff):
    alice = staff["users"]["alice"]
    client.force_login(alice)
    page = client.get(reverse("inbox:task", args=[refused_claim.task_id])).content.decode()
    assert 'data-state="failed"' in page and "Not delivered" in page and "400" in page
    api = APIClient()
    api.force_authenticate(alice)
    body = api.get(f"/api/v1/tasks/{refused_claim.task_id}/").json()
    assert body["delivery"] == "failed"
    [write_back] = body["write_backs"]
    assert write_back["action"] == "claim" and write_back["state"] == "failed"
    assert "400" in write_back["last_error"] and write_back["summary"].startswith("Failed")


def test_admins_retry_a_failed_write_back_from_the_outbox_page(
    client, admin, refused_claim, simulators
):
    client.force_login(admin)
    sources = client.get(reverse("inbox:admin_sources")).content.decode()
    assert f"{reverse('inbox:admin_outbox')}?source={refused_claim.source_id}" in sources
    listing = client.get(
        reverse("inbox:admin_outbox"), {"source": refused_claim.source_id}
    ).content.decode()
    assert f'data-command="{refused_claim.pk}"' in listing and 'data-state="failed"' in listing
    opened = client.get(reverse("inbox:admin_outbox_command", args=[refused_claim.pk]))
    assert "400" in opened.content.decode() and 'name="retry"' in opened.content.decode()

    response = client.post(reverse("inbox:admin_outbox"), {"retry": refused_claim.pk})
    assert response.status_code == 302
    refused_claim.refresh_from_db()
    assert refused_claim.status == "pending"
    assert push_command(refused_claim.pk) == "delivered"
    task = UserTask.objects.get(pk=refused_claim.task_id)
    assert task.delivery == ""
    assert task.events.filter(data__outcome="retried", actor=admin).exists()
    writes = control(simulators, "GET", "littlehorse/writebacks")["writebacks"]
    assert [w["applied"] for w in writes if w["path"].endswith("/assign")] == [False, True]
    listing = client.get(reverse("inbox:admin_outbox")).content.decode()
    assert f'data-command="{refused_claim.pk}"' not in listing, "no longer stuck"


def test_admins_resolve_a_conflict_by_taking_the_engines_state(
    client, admin, conflicting_completion
):
    client.force_login(admin)
    listing = client.get(reverse("inbox:admin_outbox"), {"state": "conflict"}).content.decode()
    assert "approved=false" in listing
    response = client.post(
        reverse("inbox:admin_outbox_command", args=[conflicting_completion.pk]),
        {"resolve": conflicting_completion.pk, "note": "UiPath is right"},
        **HTMX,
    )
    assert response.status_code == 200 and 'data-state="resolved"' in response.content.decode()
    task = UserTask.objects.get(pk=conflicting_completion.task_id)
    assert str(task.results["approved"]["value"]).lower() == "false", "the engine's decision"
    assert task.delivery == ""
    assert task.events.filter(data__outcome="resolved", actor=admin).exists()


def test_staff_cannot_see_the_outbox(client, staff, refused_claim):
    client.force_login(staff["users"]["bob"])
    assert client.get(reverse("inbox:admin_outbox")).status_code == 404
    api = APIClient()
    api.force_authenticate(staff["users"]["bob"])
    assert api.get("/api/v1/admin/outbox/").status_code == 403
    assert api.post(f"/api/v1/admin/outbox/{refused_claim.pk}/retry/").status_code == 403


def test_the_outbox_api_lists_retries_and_resolves(admin, refused_claim, conflicting_completion):
    api = APIClient()
    api.force_authenticate(admin)
    stuck = api.get("/api/v1/admin/outbox/", {"state": "stuck"}).json()
    assert {c["id"] for c in stuck["results"]} == {refused_claim.pk, conflicting_completion.pk}
    only_lh = api.get(
        "/api/v1/admin/outbox/", {"state": "stuck", "source": refused_claim.source_id}
    ).json()
    assert [c["id"] for c in only_lh["results"]] == [refused_claim.pk]
    bad = api.get("/api/v1/admin/outbox/", {"state": "lost"})
    assert bad.status_code == 400 and "state" in bad.json()["fields"]

    retried = api.post(f"/api/v1/admin/outbox/{refused_claim.pk}/retry/")
    assert retried.status_code == 202 and retried.json()["state"] == "pending"
    again = api.post(f"/api/v1/admin/outbox/{refused_claim.pk}/retry/")
    assert again.status_code == 409 and again.json()["code"] == "task_state"

    resolved = api.post(
        f"/api/v1/admin/outbox/{conflicting_completion.pk}/resolve/", {"note": "ok"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert api.get("/api/v1/admin/outbox/999999/").status_code == 404
