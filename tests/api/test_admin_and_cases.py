"""Admin endpoints and cases."""

import pytest
from django.contrib.auth.models import Group

from inbox import lifecycle
from inbox.models import Case, OutboxCommand, Source, Stage
from tests.api.conftest import assert_error
from tests.factories import SourceFactory, TaskFactory, UserFactory


def test_admin_assigns_to_a_user_then_a_group(clients, task, member, other_group):
    url = f"/api/v1/admin/tasks/{task.id}/assign/"
    body = clients["admin"].post(url, {"user": "bob"}, format="json").json()
    assert body["status"] == "ASSIGNED" and body["assignee"] == {"id": member.pk, "username": "bob"}
    body = clients["admin"].post(url, {"group": "legal"}, format="json").json()
    assert body["status"] == "UNASSIGNED" and body["group"]["name"] == "legal"
    assert body["assignee"] is None


@pytest.mark.parametrize("payload", [{}, {"user": "", "group": ""}, {"user": None}])
def test_assign_with_neither_user_nor_group_is_a_400(clients, task, payload):
    response = clients["admin"].post(
        f"/api/v1/admin/tasks/{task.id}/assign/", payload, format="json"
    )
    body = assert_error(response, 400, "validation")
    assert set(body["fields"]) == {"user", "group"}


@pytest.mark.parametrize("payload", [{"user": "ghost"}, {"group": "ghosts"}])
def test_assign_to_unknown_people_is_an_assignment_error(clients, task, payload):
    response = clients["admin"].post(
        f"/api/v1/admin/tasks/{task.id}/assign/", payload, format="json"
    )
    assert_error(response, 409, "assignment")


def test_admin_assign_honours_if_match(clients, task):
    response = clients["admin"].post(
        f"/api/v1/admin/tasks/{task.id}/assign/", {"user": "bob"}, format="json", HTTP_IF_MATCH="99"
    )
    assert_error(response, 412, "precondition_failed")


def test_admin_complete_overrides_with_valid_results(clients, claimed_task):
    url = f"/api/v1/admin/tasks/{claimed_task.id}/complete/"
    bad = clients["admin"].post(url, {"results": {"approved": "maybe"}}, format="json")
    assert assert_error(bad, 400, "validation")["fields"]["approved"]
    body = (
        clients["admin"]
        .post(url, {"results": {"approved": False}, "reason": "By phone"}, format="json")
        .json()
    )
    assert body["status"] == "DONE"
    assert body["events"][-1]["data"]["reason"] == "By phone"
    again = clients["admin"].post(url, {"results": {"approved": False}}, format="json")
    assert_error(again, 409, "task_state")


def test_admin_cancel_and_then_it_is_terminal(clients, task):
    url = f"/api/v1/admin/tasks/{task.id}/cancel/"
    assert clients["admin"].post(url, {"message": "dup"}, format="json").json()["status"] == (
        "CANCELLED"
    )
    assert_error(clients["admin"].post(url, {}, format="json"), 409, "task_state")


def test_admin_task_list_filters_by_assignee(clients, group, other_group, assignee):
    mine = TaskFactory(group=group)
    lifecycle.task_claim(task_id=mine.id, user=assignee)
    TaskFactory(group=other_group)
    all_ids = clients["admin"].get("/api/v1/admin/tasks/").json()["results"]
    assert len(all_ids) == 2
    body = clients["admin"].get("/api/v1/admin/tasks/", {"user": "alice"}).json()
    assert [t["id"] for t in body["results"]] == [str(mine.id)]


def test_admin_task_detail_404_for_unknown(clients, db):
    import uuid

    assert_error(clients["admin"].get(f"/api/v1/admin/tasks/{uuid.uuid4()}/"), 404, "not_found")


def test_admin_users_are_filterable_and_paged(clients, people, group):
    for n in range(4):
        UserFactory(username=f"extra{n}", groups=[group])
    body = clients["admin"].get("/api/v1/admin/users/", {"group": "finance", "limit": 2}).json()
    seen = [u["username"] for u in body["results"]]
    while body["bookmark"]:
        body = (
            clients["admin"]
            .get(
                "/api/v1/admin/users/",
                {"group": "finance", "limit": 2, "bookmark": body["bookmark"]},
            )
            .json()
        )
        seen += [u["username"] for u in body["results"]]
    assert sorted(seen) == ["alice", "bob", "extra0", "extra1", "extra2", "extra3"]
    root = clients["admin"].get("/api/v1/admin/users/", {"username": "ROOT"}).json()["results"]
    assert root[0]["is_inbox_admin"] is True and root[0]["groups"] == []
    alice = clients["admin"].get("/api/v1/admin/users/", {"username": "alice"}).json()["results"]
    assert alice[0]["is_inbox_admin"] is False
    assert alice[0]["groups"] == [{"id": group.pk, "name": "finance"}]


def test_admin_groups_and_task_types_page_through_everything(clients, group, other_group):
    Group.objects.create(name="support")
    for task_type in ("b-type", "a-type", "c-type", "a-type"):
        TaskFactory(group=group, task_type=task_type)
    names, bookmark = [], None
    while True:
        params = {"limit": 1, **({"bookmark": bookmark} if bookmark else {})}
        body = clients["admin"].get("/api/v1/admin/task-types/", params).json()
        names += body["results"]
        bookmark = body["bookmark"]
        if not bookmark:
            break
    assert names == ["a-type", "b-type", "c-type"]
    groups = clients["admin"].get("/api/v1/admin/groups/").json()
    assert [g["name"] for g in groups["results"]] == ["finance", "legal", "support"]
    assert_error(
        clients["admin"].get("/api/v1/admin/groups/", {"bookmark": "!!"}), 400, "validation"
    )


def test_sources_show_health_but_never_credentials(clients, db):
    SourceFactory(
        name="uipath-prod",
        kind=Source.Kind.UIPATH,
        base_url="https://robot:hunter2@cloud.uipath.com/org/tenant",
        credentials={"client_id": "abc", "client_secret": "s3cr3t-value", "empty": ""},
        consecutive_failures=3,
        last_error="HTTP 503 from upstream",
    )
    response = clients["admin"].get("/api/v1/admin/sources/")
    text = response.content.decode()
    assert "s3cr3t-value" not in text and "hunter2" not in text and "abc" not in text
    source = next(s for s in response.json()["results"] if s["name"] == "uipath-prod")
    assert source["credential_keys"] == ["client_id", "client_secret"]
    assert source["base_url"] == "https://***@cloud.uipath.com/org/tenant"  # userinfo masked
    assert source["consecutive_failures"] == 3 and source["healthy"] is False
    assert source["last_error"] == "HTTP 503 from upstream"
    assert {"last_success_at", "next_attempt_at", "last_error_at"} <= set(source)


# --- cases ---------------------------------------------------------------------------------------


@pytest.fixture
def cases(group, other_group):
    source = SourceFactory(name="uipath-cases", kind=Source.Kind.UIPATH)
    finance = Case.objects.create(source=source, external_id="c-fin", name="Finance case")
    legal = Case.objects.create(source=source, external_id="c-legal", name="Legal case")
    empty = Case.objects.create(source=source, external_id="c-empty", name="No tasks")
    fin_task = TaskFactory(group=group, source=source, case=finance, external_id="ut-1")
    TaskFactory(group=other_group, source=source, case=finance, external_id="ut-2")
    TaskFactory(group=other_group, source=source, case=legal, external_id="ut-3")
    Stage.objects.create(
        case=finance,
        external_id="s1",
        name="Review",
        position=1,
        status="InProgress",
        tasks=[{"id": "ut-1", "name": "Approve"}, {"id": "ut-2", "name": "Legal check"}],
    )
    Stage.objects.create(case=finance, external_id="s0", name="Intake", position=0)
    return {"finance": finance, "legal": legal, "empty": empty, "fin_task": fin_task}


def test_staff_see_cases_holding_a_task_they_may_see(clients, cases):
    names = {c["name"] for c in clients["member"].get("/api/v1/cases/").json()["results"]}
    assert names == {"Finance case"}
    names = {c["name"] for c in clients["outsider"].get("/api/v1/cases/").json()["results"]}
    assert names == {"Finance case", "Legal case"}
    body = clients["admin"].get("/api/v1/cases/", {"limit": 2}).json()
    assert len(body["results"]) == 2 and body["bookmark"]
    rest = clients["admin"].get("/api/v1/cases/", {"limit": 2, "bookmark": body["bookmark"]})
    assert len(rest.json()["results"]) == 1 and rest.json()["bookmark"] is None
    assert_error(clients["admin"].get("/api/v1/cases/", {"status": "odd"}), 400, "validation")


def test_case_detail_has_ordered_stages_and_only_visible_task_links(clients, cases):
    body = clients["member"].get(f"/api/v1/cases/{cases['finance'].pk}/").json()
    assert [s["name"] for s in body["stages"]] == ["Intake", "Review"]
    listed = body["stages"][1]["tasks"]
    assert listed[0]["inbox_task"]["id"] == str(cases["fin_task"].id)
    assert listed[1]["inbox_task"] is None  # legal's task: not the member's to see
    assert body["supported_actions"] == ["close", "pause", "resume"]
    assert_error(clients["member"].get(f"/api/v1/cases/{cases['legal'].pk}/"), 404, "not_found")


def test_case_tasks_lists_only_visible_tasks(clients, cases):
    body = clients["member"].get(f"/api/v1/cases/{cases['finance'].pk}/tasks/").json()
    assert [t["id"] for t in body["results"]] == [str(cases["fin_task"].id)]
    assert (
        len(clients["admin"].get(f"/api/v1/cases/{cases['finance'].pk}/tasks/").json()["results"])
        == 2
    )


def test_case_actions_record_an_outbox_command(clients, cases):
    case = cases["finance"]
    response = clients["admin"].post(
        f"/api/v1/cases/{case.pk}/pause/", {"comment": "hold"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["action"] == "case_pause" and response.json()["status"] == "pending"
    command = OutboxCommand.objects.get(pk=response.json()["id"])
    assert command.case == case and command.payload["comment"] == "hold"
    # Resuming a case that is not paused (the engine has not confirmed yet) is a state error.
    assert_error(clients["admin"].post(f"/api/v1/cases/{case.pk}/resume/"), 409, "task_state")
    assert_error(clients["admin"].post("/api/v1/cases/999999/close/"), 404, "not_found")


def test_case_actions_the_engine_lacks_are_refused(clients, db):
    source = SourceFactory(name="docusign", kind=Source.Kind.DOCUSIGN)
    case = Case.objects.create(source=source, external_id="d-1")
    body = assert_error(
        clients["admin"].post(f"/api/v1/cases/{case.pk}/pause/"), 409, "unsupported"
    )
    assert "pause" in body["message"]
    assert clients["admin"].post(f"/api/v1/cases/{case.pk}/close/").status_code == 202
