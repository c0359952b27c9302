"""What each engine can do, in one place: unsupported actions are refused before anything
changes (409 ``unsupported``, no event, no outbox row), the UI does not offer them, bulk actions
report the refusal per task, and the API schema documents the code."""

import pytest
from django.urls import reverse

from inbox import lifecycle
from inbox.models import Case, OutboxCommand, TaskEvent, TaskStatus
from inbox.sync.registry import capabilities
from tests.api.conftest import assert_error, client_for
from tests.factories import SourceFactory, TaskFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def uipath_task(group):
    source = SourceFactory(name="uip", kind="uipath")
    return TaskFactory(group=group, source=source, external_id="4711", title="Invoice 4711")


@pytest.fixture
def cloudflare_task(group):
    source = SourceFactory(name="cf", kind="cloudflare")
    return TaskFactory(group=group, source=source, external_id="run-1:approve", title="CF wait")


def snapshot(task):
    task.refresh_from_db()
    return (
        task.status,
        task.assignee_id,
        task.version,
        TaskEvent.objects.filter(task=task).count(),
        OutboxCommand.objects.filter(task=task).count(),
    )


def test_every_engine_declares_its_actions():
    assert not capabilities("uipath").supports_task("cancel")
    assert not capabilities("cloudflare").supports_task("cancel")
    assert capabilities("strategy").supports_task("cancel")
    assert capabilities("littlehorse").supports_task("cancel")
    assert capabilities("local").task_actions >= {"claim", "complete", "cancel"}
    assert capabilities("docusign").case_actions == {"close"}
    assert capabilities("littlehorse").case_actions == set()


@pytest.mark.parametrize("fixture", ["uipath_task", "cloudflare_task"])
def test_api_cancel_of_one_step_is_refused_and_nothing_changes(request, fixture, assignee, admin):
    task = request.getfixturevalue(fixture)
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    before = snapshot(task)
    outbox_before = OutboxCommand.objects.count()
    body = assert_error(
        client_for(assignee).post(f"/api/v1/tasks/{task.pk}/cancel/", {}, format="json"),
        409,
        "unsupported",
    )
    assert "cannot cancel one" in body["message"] and "an admin can close" in body["message"]
    assert_error(
        client_for(admin).post(
            f"/api/v1/admin/tasks/{task.pk}/cancel/", {"message": "x"}, format="json"
        ),
        409,
        "unsupported",
    )
    assert snapshot(task) == before
    assert OutboxCommand.objects.count() == outbox_before
    assert task.status == TaskStatus.ASSIGNED


def test_the_task_page_offers_no_cancel_and_says_what_to_do_instead(
    client, uipath_task, assignee, admin
):
    lifecycle.task_claim(task_id=uipath_task.pk, user=assignee)
    url = reverse("inbox:task", args=[uipath_task.pk])
    client.force_login(assignee)
    body = client.get(url).content.decode()
    assert 'name="cancel"' not in body and 'name="complete"' in body
    assert "UiPath cannot cancel one action task; an admin can close the case." in body
    client.force_login(admin)
    body = client.get(url).content.decode()
    assert 'name="admin_cancel"' not in body and 'name="assign"' in body
    assert "an admin can close the case" in body
    # A hand-made POST is refused, inline, with nothing changed.
    before = snapshot(uipath_task)
    response = client.post(url, {"admin_cancel": "1", "cancel_reason": "x", "confirmed": "1"})
    body = response.content.decode()
    assert response.status_code == 409 and "Already claimed" not in body
    alert = body.split('id="task-error"')[1].split("</div>")[0]
    assert "UiPath cannot cancel one action task; an admin can close the case." in alert
    assert snapshot(uipath_task) == before


def test_bulk_cancel_reports_the_refusal_per_task(client, admin, group, uipath_task):
    local = TaskFactory(group=group, title="Local one")
    client.force_login(admin)
    response = client.post(
        reverse("inbox:admin_bulk"),
        {
            "cancel": "1",
            "reason": "cleanup",
            "confirmed": "1",
            "task": [str(local.pk), str(uipath_task.pk)],
        },
        **HTMX,
    )
    body = response.content.decode()
    assert "Local one</strong>: cancelled" in body
    assert "Invoice 4711</strong>: UiPath cannot cancel one action task" in body
    assert "1 done, 1 not changed" in response["HX-Trigger"]
    local.refresh_from_db()
    uipath_task.refresh_from_db()
    assert local.status == TaskStatus.CANCELLED and uipath_task.status == TaskStatus.UNASSIGNED
    assert not OutboxCommand.objects.filter(task=uipath_task).exists()


def test_unsupported_case_action_is_refused_with_what_to_do_instead(admin):
    source = SourceFactory(name="lh", kind="littlehorse")
    case = Case.objects.create(source=source, external_id="run-9", name="Run 9", status="running")
    body = assert_error(
        client_for(admin).post(f"/api/v1/cases/{case.pk}/close/", {}, format="json"),
        409,
        "unsupported",
    )
    assert "LittleHorse" in body["message"]
    assert not OutboxCommand.objects.filter(case=case).exists()


def test_schema_documents_the_unsupported_code(admin):
    schema = client_for(admin).get("/api/v1/schema/?format=json").json()
    error = schema["components"]["schemas"]["Error"]
    assert "unsupported" in str(error)
    cancel = schema["paths"]["/api/v1/tasks/{task_id}/cancel/"]["post"]["responses"]["409"]
    assert "unsupported" in cancel["description"]
