"""Staff task endpoints: what a client sees and each error it can get."""

import pytest

from inbox import lifecycle
from inbox.models import TaskStatus
from tests.api.conftest import assert_error
from tests.factories import TaskFactory


def test_detail_has_form_context_comments_events_and_an_etag(clients, task, assignee):
    lifecycle.comment_add(task_id=task.id, user=assignee, text="Looking at it")
    response = clients["member"].get(f"/api/v1/tasks/{task.id}/")
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["group"]["name"] == "finance" and body["group"]["id"]
    assert [f["name"] for f in body["fields"]] == ["approved", "amount", "count", "note"]
    assert body["fields"][0] == {
        "name": "approved",
        "display_name": "Approved",
        "description": "",
        "type": "BOOLEAN",
        "required": True,
    }
    assert [c["text"] for c in body["comments"]] == ["Looking at it"]
    assert body["comments"][0]["author"]["username"] == "alice"
    assert [e["kind"] for e in body["events"]] == ["CREATED", "COMMENT_ADDED"]
    assert body["events"][1]["actor_name"] == "alice"


def test_claim_complete_round_trip(clients, task):
    client = clients["assignee"]
    claimed = client.post(f"/api/v1/tasks/{task.id}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["status"] == "ASSIGNED"
    assert claimed.json()["assignee"]["username"] == "alice"
    assert claimed["ETag"] == f'"{claimed.json()["version"]}"'
    done = client.post(
        f"/api/v1/tasks/{task.id}/complete/",
        {"results": {"approved": True, "amount": "12.5", "count": 3}},
        format="json",
    )
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "DONE" and body["completed_at"]
    assert body["results"] == {
        "approved": {"type": "BOOLEAN", "value": True},
        "amount": {"type": "DOUBLE", "value": 12.5},
        "count": {"type": "INTEGER", "value": 3},
    }


def test_complete_reports_every_bad_field(clients, claimed_task):
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/complete/",
        {"results": {"count": 1.5, "amount": "abc", "nope": 1}},
        format="json",
    )
    body = assert_error(response, 400, "validation")
    assert set(body["fields"]) == {"approved", "count", "amount", "nope"}
    assert body["fields"]["approved"] == ["This field is required."]


def test_results_must_be_an_object(clients, claimed_task):
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/complete/", {"results": [1, 2]}, format="json"
    )
    body = assert_error(response, 400, "validation")
    assert "results" in body["fields"]


def test_claiming_a_claimed_task_is_an_assignment_conflict(clients, claimed_task):
    body = assert_error(
        clients["member"].post(f"/api/v1/tasks/{claimed_task.id}/claim/"), 409, "assignment"
    )
    assert "alice" in body["message"]


def test_completing_before_claiming_is_a_state_conflict(clients, task):
    response = clients["member"].post(
        f"/api/v1/tasks/{task.id}/complete/", {"results": {"approved": True}}, format="json"
    )
    assert_error(response, 409, "task_state")


def test_releasing_an_unassigned_task_is_a_state_conflict(clients, task):
    assert_error(clients["member"].post(f"/api/v1/tasks/{task.id}/release/"), 409, "task_state")


@pytest.mark.parametrize("action", ["claim", "release", "complete", "cancel"])
def test_terminal_tasks_refuse_every_action(clients, claimed_task, assignee, action):
    lifecycle.task_cancel(task_id=claimed_task.id, user=assignee, message="gone")
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/{action}/", {"results": {"approved": True}}, format="json"
    )
    assert_error(response, 409, "task_state")


def test_release_gives_the_task_back_to_its_group(clients, claimed_task):
    body = clients["assignee"].post(f"/api/v1/tasks/{claimed_task.id}/release/").json()
    assert body["status"] == "UNASSIGNED" and body["assignee"] is None
    assert body["group"]["name"] == "finance"


def test_cancel_records_the_message(clients, claimed_task):
    body = (
        clients["assignee"]
        .post(f"/api/v1/tasks/{claimed_task.id}/cancel/", {"message": "Duplicate"}, format="json")
        .json()
    )
    assert body["status"] == "CANCELLED"
    assert body["events"][-1]["kind"] == "CANCELLED"
    assert body["events"][-1]["data"]["message"] == "Duplicate"


@pytest.mark.parametrize("header", ['"{v}"', "{v}", 'W/"{v}"', "*"])
def test_if_match_accepts_quoted_bare_and_weak_etags(clients, task, header):
    version = clients["member"].get(f"/api/v1/tasks/{task.id}/")["ETag"].strip('"')
    response = clients["member"].post(
        f"/api/v1/tasks/{task.id}/claim/", HTTP_IF_MATCH=header.format(v=version)
    )
    assert response.status_code == 200
    assert response["ETag"] == f'"{int(version) + 1}"'


@pytest.mark.parametrize("action", ["claim", "cancel"])
def test_a_stale_if_match_is_412_and_changes_nothing(clients, claimed_task, action):
    stale = claimed_task.version - 1
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/{action}/", HTTP_IF_MATCH=f'"{stale}"'
    )
    assert_error(response, 412, "precondition_failed")
    claimed_task.refresh_from_db()
    assert claimed_task.status == TaskStatus.ASSIGNED


def test_a_malformed_if_match_is_a_400(clients, task):
    response = clients["member"].post(f"/api/v1/tasks/{task.id}/claim/", HTTP_IF_MATCH="abc")
    body = assert_error(response, 400, "validation")
    assert "If-Match" in body["fields"]


# --- lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5"])
def test_limit_out_of_range_is_a_400(clients, db, limit):
    body = assert_error(
        clients["member"].get("/api/v1/tasks/", {"limit": limit}), 400, "validation"
    )
    assert "limit" in body["fields"]


def test_limit_defaults_to_50_and_allows_500(clients, group):
    for n in range(55):
        TaskFactory(group=group, title=f"bulk {n}")
    first = clients["member"].get("/api/v1/tasks/").json()
    assert len(first["results"]) == 50 and first["bookmark"]
    everything = clients["member"].get("/api/v1/tasks/", {"limit": 500}).json()
    assert len(everything["results"]) == 55 and everything["bookmark"] is None


@pytest.mark.parametrize(
    "params,field",
    [
        ({"status": "DONEISH"}, "status"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"due_before": "2026-02-30"}, "due_before"),
        ({"case": "x"}, "case"),
        ({"bookmark": "garbage"}, "bookmark"),
        ({"scope": "everything"}, "scope"),
    ],
)
def test_bad_filters_name_the_parameter(clients, db, params, field):
    body = assert_error(clients["member"].get("/api/v1/tasks/", params), 400, "validation")
    assert field in body["fields"]


def test_filters_narrow_the_list(clients, group, assignee):
    a = TaskFactory(
        group=group, title="Invoice ACME", task_type="invoice", context={"region": "EU"}
    )
    b = TaskFactory(group=group, title="Travel Lisbon", task_type="travel", context={"n": 7})
    lifecycle.task_claim(task_id=b.id, user=assignee)

    def ids(**params):
        return {
            t["id"] for t in clients["assignee"].get("/api/v1/tasks/", params).json()["results"]
        }

    assert ids(type="invoice") == {str(a.id)}
    assert ids(q="lisbon") == {str(b.id)}
    assert ids(status="ASSIGNED") == {str(b.id)}
    assert ids(status="UNASSIGNED,ASSIGNED") == {str(a.id), str(b.id)}
    assert ids(context__region="EU") == {str(a.id)}
    assert ids(context__n="7") == {str(b.id)}
    assert ids(group="legal") == set()
    assert ids(scope="mine") == {str(b.id)}
    assert ids(created_after="2999-01-01") == set()


def test_claimable_lists_unassigned_tasks_of_my_groups(clients, group, other_group, assignee):
    open_task = TaskFactory(group=group)
    held = TaskFactory(group=group)
    lifecycle.task_claim(task_id=held.id, user=assignee)
    TaskFactory(group=other_group)
    body = clients["member"].get("/api/v1/tasks/claimable/").json()
    assert [t["id"] for t in body["results"]] == [str(open_task.id)]
    assert clients["member"].get("/api/v1/tasks/claimable/", {"group": "legal"}).json() == {
        "results": [],
        "bookmark": None,
    }


# --- creating tasks --------------------------------------------------------------------------------


def test_admins_create_local_tasks(clients, group):
    response = clients["admin"].post(
        "/api/v1/tasks/",
        {
            "title": "Approve travel",
            "type": "expense-approval",
            "group": "finance",
            "fields": [{"name": "approved", "type": "BOOLEAN", "required": True}],
            "context": {"customer": "Globex"},
            "priority": 2,
            "due_at": "2026-12-01T12:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["source"]["name"] == "local" and body["source"]["kind"] == "local"
    assert body["status"] == "UNASSIGNED" and body["group"] == {"id": group.pk, "name": "finance"}
    assert body["fields"][0]["display_name"] == "approved"
    assert body["context"] == {"customer": "Globex"}
    # Members of the group see it at once.
    assert body["id"] in {
        t["id"] for t in clients["member"].get("/api/v1/tasks/").json()["results"]
    }


def test_creating_for_a_user_makes_it_assigned(clients, assignee):
    body = (
        clients["admin"]
        .post("/api/v1/tasks/", {"title": "For alice", "type": "t", "user": "alice"}, format="json")
        .json()
    )
    assert body["status"] == "ASSIGNED" and body["assignee"]["username"] == "alice"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"type": "t"}, "title"),
        ({"title": "x"}, "type"),
        ({"title": "x", "type": "t", "fields": [{"name": "1bad", "type": "STRING"}]}, "fields[0]"),
        ({"title": "x", "type": "t", "fields": [{"name": "a", "type": "DATE"}]}, "fields[0]"),
        ({"title": "x", "type": "t", "priority": "high"}, "priority"),
        ({"title": "x", "type": "t" * 256}, "type"),
        ({"title": "x", "type": "t", "due_at": "soon"}, "due_at"),
    ],
)
def test_create_rejects_bad_bodies_per_field(clients, db, payload, field):
    body = assert_error(
        clients["admin"].post("/api/v1/tasks/", payload, format="json"), 400, "validation"
    )
    assert field in body["fields"], body


def test_create_with_an_unknown_group_is_an_assignment_error(clients, db):
    response = clients["admin"].post(
        "/api/v1/tasks/", {"title": "x", "type": "t", "group": "nobody"}, format="json"
    )
    assert_error(response, 409, "assignment")


# --- comments ------------------------------------------------------------------------------------


def test_comments_are_added_edited_and_deleted_by_their_author(clients, task):
    url = f"/api/v1/tasks/{task.id}/comments/"
    added = clients["member"].post(url, {"text": "On it"}, format="json")
    assert added.status_code == 201
    comment = added.json()
    assert comment["author"]["username"] == "bob" and comment["edited_at"] is None
    edited = clients["member"].patch(f"{url}{comment['id']}/", {"text": "Done soon"}, format="json")
    assert edited.json()["text"] == "Done soon" and edited.json()["edited_at"]
    assert [c["text"] for c in clients["assignee"].get(url).json()] == ["Done soon"]
    assert clients["member"].delete(f"{url}{comment['id']}/").status_code == 204
    assert clients["assignee"].get(url).json() == []
    kinds = [e["kind"] for e in clients["member"].get(f"/api/v1/tasks/{task.id}/").json()["events"]]
    assert kinds[-3:] == ["COMMENT_ADDED", "COMMENT_EDITED", "COMMENT_DELETED"]


def test_empty_comments_and_unknown_comments_are_refused(clients, task):
    url = f"/api/v1/tasks/{task.id}/comments/"
    assert_error(clients["member"].post(url, {"text": "   "}, format="json"), 400, "validation")
    assert_error(clients["member"].post(url, {}, format="json"), 400, "validation")
    assert_error(
        clients["member"].patch(f"{url}999999/", {"text": "x"}, format="json"), 404, "not_found"
    )
    assert_error(clients["member"].delete(f"{url}999999/"), 404, "not_found")


@pytest.mark.parametrize("role", ["member", "admin"])
def test_a_list_page_costs_the_same_queries_whatever_its_size(
    clients, group, role, django_assert_max_num_queries
):
    TaskFactory(group=group)
    client = clients[role]
    client.get("/api/v1/tasks/")  # warm up: token last_used_at write, local source
    with django_assert_max_num_queries(6) as small:
        client.get("/api/v1/tasks/")
    for _ in range(30):
        TaskFactory(group=group)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/tasks/").json()["results"]) == 31
