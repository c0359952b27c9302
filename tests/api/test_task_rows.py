"""The API's task lists (built directly, inbox.api.task_rows) give exactly what the documented
``Task`` schema (``TaskSerializer``) gives: every field, references and times in the caller's
zone, for tasks with and without an assignee, group, case, due date and completion."""

from datetime import UTC, datetime

from django.test import Client
from django.utils import timezone

from inbox import lifecycle
from inbox.api.serializers import TaskSerializer, TaskStateSerializer
from inbox.models import Case, UserTask
from tests.api.conftest import client_for
from tests.factories import SourceFactory, TaskFactory


def _documented(ids, zone):
    tasks = UserTask.objects.select_related("assignee", "group", "case", "source").in_bulk(ids)
    tasks = {str(pk): task for pk, task in tasks.items()}
    with timezone.override(zone):
        return [dict(TaskSerializer(tasks[i]).data) for i in ids]


def test_list_rows_equal_the_documented_task_shape_in_the_callers_zone(assignee, group):
    assignee.time_zone = "America/New_York"
    assignee.save(update_fields=["time_zone"])
    source = SourceFactory(name="lh")
    case = Case.objects.create(source=source, external_id="c-1", name="Expense case")
    TaskFactory(title="Open, due", group=group, due_at=datetime(2026, 7, 1, 12, tzinfo=UTC))
    TaskFactory(
        title="Engine task in a case",
        group=group,
        source=source,
        external_id="e-1",
        case=case,
        priority=2,
        context={"region": "EU"},
    )
    held = TaskFactory(title="Held by alice", group=group)
    lifecycle.task_claim(task_id=held.pk, user=assignee)
    done = TaskFactory(title="Done by alice", user=assignee)
    lifecycle.task_complete(task_id=done.pk, user=assignee, results={"approved": True})
    TaskFactory(title="Alice's, no group", user=assignee)

    api = Client()
    api.force_login(assignee)  # a browser session: times in her profile's zone
    for url in ("/api/v1/tasks/", "/api/v1/tasks/?scope=history", "/api/v1/tasks/claimable/"):
        response = api.get(url)
        assert response.status_code == 200, response.content[:300]
        rows = response.json()["results"]
        assert rows, url
        assert rows == _documented([row["id"] for row in rows], "America/New_York"), url
    rows = api.get("/api/v1/tasks/").json()["results"]
    assert len(rows) == 5
    due = next(r for r in rows if r["title"] == "Open, due")
    assert due["due_at"] == "2026-07-01T08:00:00-04:00"  # noon UTC, in New York
    in_case = next(r for r in rows if r["case"])
    assert in_case["case"] == {"id": case.pk, "name": "Expense case", "external_id": "c-1"}
    assert in_case["source"]["name"] == "lh"

    case_rows = api.get(f"/api/v1/cases/{case.pk}/tasks/").json()["results"]
    assert case_rows == _documented([r["id"] for r in case_rows], "America/New_York")
    assert [r["title"] for r in case_rows] == ["Engine task in a case"]


def test_token_clients_get_server_time_with_z_for_utc(member, group):
    TaskFactory(title="Due at noon", group=group, due_at=datetime(2026, 7, 1, 12, tzinfo=UTC))
    rows = client_for(member).get("/api/v1/tasks/").json()["results"]
    assert rows == _documented([r["id"] for r in rows], "UTC")
    assert rows[0]["due_at"] == "2026-07-01T12:00:00Z"


def _documented_state(task_id, zone):
    task = UserTask.objects.select_related("assignee", "group", "case", "source").get(pk=task_id)
    with timezone.override(zone):
        return dict(TaskStateSerializer(task).data)


def test_the_claim_answers_the_documented_task_state_shape(assignee, admin, group):
    """The claim's answer (built directly, ``task_state``) is the ``TaskState`` schema's, for a
    plain local task, an engine task in a case with a due date, pre-filled results and context,
    a task without a group, and a form stored in a shape the fast path leaves to the
    serializer (an engine's ``"false"`` string for ``required``)."""
    assignee.time_zone = "America/New_York"
    assignee.save(update_fields=["time_zone"])
    source = SourceFactory(name="lh")
    case = Case.objects.create(source=source, external_id="c-9", name="Expense case")
    plain = TaskFactory(title="Plain", group=group)
    engine = TaskFactory(
        title="Engine task in a case",
        group=group,
        source=source,
        external_id="e-9",
        case=case,
        priority=3,
        due_at=datetime(2026, 7, 1, 12, tzinfo=UTC),
        context={"region": "EU", "amount": 120.5, "tags": ["a", None]},
    )
    UserTask.objects.filter(pk=engine.pk).update(
        results={"approved": {"type": "BOOLEAN", "value": True}}
    )
    stringly = TaskFactory(title="Stringly form", group=group)
    UserTask.objects.filter(pk=stringly.pk).update(
        fields=[
            {
                "name": "approved",
                "display_name": "Approved",
                "description": "",
                "type": "BOOLEAN",
                "required": "false",
            }
        ]
    )
    orphan = TaskFactory(title="No group", group=None)

    session = Client()
    session.force_login(assignee)  # a browser session: times in her profile's zone
    token = client_for(assignee)  # a token client: server time (UTC)
    for client, task, zone in (
        (session, plain, "America/New_York"),
        (session, engine, "America/New_York"),
        (token, stringly, "UTC"),
        (client_for(admin), orphan, "UTC"),
    ):
        response = client.post(f"/api/v1/tasks/{task.pk}/claim/", content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert body == _documented_state(task.pk, zone), task.title
        assert body["status"] == "ASSIGNED" and response["ETag"] == f'"{body["version"]}"'
    claimed = session.get(f"/api/v1/tasks/{engine.pk}/").json()
    assert claimed["due_at"] == "2026-07-01T08:00:00-04:00"
    answers = {t.title: UserTask.objects.get(pk=t.pk) for t in (engine, stringly, orphan)}
    assert answers["Engine task in a case"].results["approved"]["value"] is True
    assert _documented_state(stringly.pk, "UTC")["fields"][0]["required"] is False
    assert answers["No group"].group_id is None
