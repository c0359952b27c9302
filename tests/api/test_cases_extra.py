"""Case history, step output and starting instances over the API; the engine parts run against
the simulators over real HTTP."""

import pytest

from inbox.models import Case, Source, UserTask
from inbox.sync.poller import poll
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.api.conftest import assert_error, client_for
from tests.factories import SourceFactory, TaskFactory, UserFactory
from tests.sync.conftest import make_source, staff  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

HISTORY = [
    {"step": 1, "name": "Prepare", "status": "completed"},
    {"step": 2, "name": "Sign", "status": "in_progress"},
]


@pytest.fixture
def signing(group, other_group):
    """A DocuSign case with a finance task (visible to finance) and its step history."""
    source = SourceFactory(name="ds", kind=Source.Kind.DOCUSIGN)
    case = Case.objects.create(
        source=source, external_id="d-1", name="NDA signing", history=HISTORY
    )
    TaskFactory(group=group, source=source, case=case, external_id="ut-1")
    return case


# --- history ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("outsider", 404), ("member", 200), ("assignee", 200), ("admin", 200)],
)
def test_history_role_matrix(clients, signing, role, status):
    response = clients[role].get(f"/api/v1/cases/{signing.pk}/history/")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json() == {"kind": "docusign", "results": HISTORY}


def test_history_of_a_missing_case_is_404_and_a_non_list_is_empty(clients, signing):
    assert_error(clients["admin"].get("/api/v1/cases/999999/history/"), 404, "not_found")
    Case.objects.filter(pk=signing.pk).update(history={"odd": True})
    body = clients["admin"].get(f"/api/v1/cases/{signing.pk}/history/").json()
    assert body["results"] == []


# --- step output --------------------------------------------------------------------------------


def test_step_output_needs_a_name_and_a_cloudflare_case(clients, signing):
    url = f"/api/v1/cases/{signing.pk}/steps/"
    body = assert_error(clients["member"].get(url), 400, "validation")
    assert "name" in body["fields"]
    assert_error(clients["member"].get(url, {"name": "Sign"}), 409, "task_state")
    assert_error(clients["outsider"].get(url, {"name": "Sign"}), 404, "not_found")
    assert clients["anonymous"].get(url, {"name": "Sign"}).status_code == 401


@pytest.fixture
def cloudflare(make_source, staff):  # noqa: F811
    source = make_source("cloudflare")
    assert poll(source.pk).status == "ok"
    return source


def test_step_output_comes_from_the_engine_for_who_may_see_the_case(cloudflare):
    task = UserTask.objects.filter(source=cloudflare, case__isnull=False).first()
    case = task.case
    step = next(h for h in case.history if h["type"] == "step")
    member = UserFactory(username="cf-member", groups=[task.group] if task.group else [])
    if task.group is None:
        UserTask.objects.filter(pk=task.pk).update(assignee=member)
    admin = UserFactory(username="cf-admin", is_superuser=True)
    outsider = UserFactory(username="cf-outsider")
    url = f"/api/v1/cases/{case.pk}/steps/"
    for user in (member, admin):
        response = client_for(user).get(url, {"name": step["name"], "type": "step"})
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"status", "error", "output"}
        assert body["status"] in ("complete", "running", "errored")
    assert_error(client_for(outsider).get(url, {"name": step["name"]}), 404, "not_found")
    missing = client_for(admin).get(url, {"name": "no such step"})
    assert_error(missing, 404, "not_found")
    body = assert_error(client_for(admin).get(url, {"name": "x", "type": "odd"}), 400, "validation")
    assert "type" in body["fields"]
    history = client_for(member).get(f"/api/v1/cases/{case.pk}/history/").json()
    assert history["kind"] == "cloudflare" and history["results"] == case.history


# --- starting instances -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status", [("anonymous", 401), ("outsider", 403), ("member", 403), ("assignee", 403)]
)
def test_only_admins_start_instances(clients, role, status):
    response = clients[role].post("/api/v1/cases/", {"source": "cf", "params": {}}, format="json")
    assert response.status_code == status


def test_start_validates_the_body_and_the_source(clients, db):
    SourceFactory(name="uip", kind=Source.Kind.UIPATH)
    admin = clients["admin"]
    body = assert_error(admin.post("/api/v1/cases/", {}, format="json"), 400, "validation")
    assert set(body["fields"]) == {"source", "params"}
    body = assert_error(
        admin.post("/api/v1/cases/", {"source": "x", "params": []}, format="json"),
        400,
        "validation",
    )
    assert "params" in body["fields"]
    body = assert_error(
        admin.post("/api/v1/cases/", {"source": "nope", "params": {}}, format="json"),
        400,
        "validation",
    )
    assert "No source named" in body["fields"]["source"][0]
    body = assert_error(
        admin.post("/api/v1/cases/", {"source": "uip", "params": {}}, format="json"),
        409,
        "task_state",
    )
    assert "cannot be started" in body["message"]


def test_admin_starts_a_cloudflare_instance_and_a_batch(clients, make_source, staff):  # noqa: F811
    source = make_source("cloudflare")
    admin = clients["admin"]
    response = admin.post(
        "/api/v1/cases/",
        {
            "source": source.name,
            "params": {"instance_id": "api-order-1", "params": {"customer": "Globex"}},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    (started,) = response.json()["results"]
    assert started["external_id"] == "api-order-1"
    assert started["source"]["name"] == source.name
    assert Case.objects.filter(source=source, external_id="api-order-1").exists()
    response = admin.post(
        "/api/v1/cases/",
        {
            "source": source.name,
            "params": {"instances": [{"instance_id": "api-b-1"}, {"instance_id": "api-b-2"}]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert {c["external_id"] for c in response.json()["results"]} == {"api-b-1", "api-b-2"}
    # The engine refuses a duplicate id: a 400 naming params, nothing new imported.
    count = Case.objects.filter(source=source).count()
    body = assert_error(
        admin.post(
            "/api/v1/cases/",
            {"source": source.name, "params": {"instance_id": "api-order-1"}},
            format="json",
        ),
        400,
        "validation",
    )
    assert "params" in body["fields"]
    assert Case.objects.filter(source=source).count() == count


def test_admin_starts_a_strategy_instance(clients, make_source, staff):  # noqa: F811
    source = make_source("strategy")
    response = clients["admin"].post(
        "/api/v1/cases/",
        {
            "source": source.name,
            "params": {
                "description": "Billing for Globex",
                "strategyId": "subscription-billing",
                "startDate": "2026-01-01T09:00:00Z",
                "attributes": {"customer": "Globex"},
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    (started,) = response.json()["results"]
    case = Case.objects.get(pk=started["id"])
    assert case.source == source
    source.refresh_from_db()
    assert case.external_id in source.watch["instance_sids"]
    response = clients["admin"].post(
        "/api/v1/cases/",
        {"source": source.name, "params": {"strategyId": "no-such-strategy"}},
        format="json",
    )
    assert_error(response, 400, "validation")
