"""Managing sources over the API: admins only, per-field validation, write-only credentials."""

import pytest
from django_celery_beat.models import PeriodicTask

from inbox.models import LOCAL_SOURCE_NAME, Source
from inbox.sync.schedule import schedule_name
from tests.api.conftest import assert_error
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

SECRET = "tok-9f3a-never-shown"
OTHER_SECRET = "sec-77b1-never-shown"

NEW = {
    "name": "cf-prod",
    "kind": "cloudflare",
    "base_url": "https://cf.example.com/client/v4",
    "credentials": {"token": SECRET},
    "watch": {"account_id": "acc-1", "workflows": ["approvals"]},
    "mapping": {"users": {"ann@corp": "alice"}},
    "poll_interval": 15,
    "enabled": True,
}


@pytest.fixture
def stored(db):
    return SourceFactory(
        name="strat",
        kind=Source.Kind.STRATEGY,
        base_url="https://strategy.example.com",
        credentials={"token": SECRET, "secret": OTHER_SECRET},
        watch={"instance_sids": ["i-1"]},
    )


def no_secrets(response):
    body = response.content.decode()
    assert SECRET not in body and OTHER_SECRET not in body and "new-token-123" not in body


@pytest.mark.parametrize(
    "role, status", [("anonymous", 401), ("outsider", 403), ("member", 403), ("admin", 201)]
)
def test_create_role_matrix(clients, role, status):
    response = clients[role].post("/api/v1/admin/sources/", NEW, format="json")
    assert response.status_code == status, response.content
    no_secrets(response)
    assert Source.objects.filter(name="cf-prod").exists() == (status == 201)


def test_create_returns_the_source_without_its_credentials_and_schedules_it(clients):
    response = clients["admin"].post("/api/v1/admin/sources/", NEW, format="json")
    no_secrets(response)
    body = response.json()
    assert body["name"] == "cf-prod" and body["kind"] == "cloudflare"
    assert body["credential_keys"] == ["token"] and "credentials" not in body
    assert body["watch"] == NEW["watch"] and body["mapping"] == NEW["mapping"]
    source = Source.objects.get(pk=body["id"])
    assert source.credentials == {"token": SECRET} and source.poll_interval == 15
    task = PeriodicTask.objects.get(name=schedule_name(source.pk))
    assert task.enabled and task.interval.every == 15
    listed = clients["admin"].get("/api/v1/admin/sources/")
    no_secrets(listed)
    assert "cf-prod" in {s["name"] for s in listed.json()["results"]}


def test_create_reports_each_bad_field(clients, stored):
    bad = {
        "name": "Not a slug!",
        "kind": "local",
        "base_url": "not a url",
        "credentials": ["token"],
        "watch": "everything",
        "mapping": 3,
        "poll_interval": 0,
    }
    body = assert_error(
        clients["admin"].post("/api/v1/admin/sources/", bad, format="json"), 400, "validation"
    )
    assert set(body["fields"]) == {
        "name",
        "kind",
        "base_url",
        "credentials",
        "watch",
        "mapping",
        "poll_interval",
    }
    body = assert_error(
        clients["admin"].post("/api/v1/admin/sources/", {}, format="json"), 400, "validation"
    )
    assert {"name", "kind", "base_url"} <= set(body["fields"])
    taken = {**NEW, "name": "strat"}
    body = assert_error(
        clients["admin"].post("/api/v1/admin/sources/", taken, format="json"), 400, "validation"
    )
    assert "already exists" in body["fields"]["name"][0]


@pytest.mark.parametrize(
    "role, status", [("anonymous", 401), ("outsider", 403), ("member", 403), ("admin", 200)]
)
def test_patch_role_matrix(clients, stored, role, status):
    response = clients[role].patch(
        f"/api/v1/admin/sources/{stored.pk}/", {"poll_interval": 99}, format="json"
    )
    assert response.status_code == status
    no_secrets(response)
    stored.refresh_from_db()
    assert (stored.poll_interval == 99) == (status == 200)


def test_patch_merges_credentials_key_by_key(clients, stored):
    url = f"/api/v1/admin/sources/{stored.pk}/"
    response = clients["admin"].patch(
        url, {"credentials": {"token": "new-token-123"}}, format="json"
    )
    no_secrets(response)
    assert response.json()["credential_keys"] == ["secret", "token"]
    stored.refresh_from_db()
    assert stored.credentials == {"token": "new-token-123", "secret": OTHER_SECRET}
    response = clients["admin"].patch(url, {"credentials": {"secret": ""}}, format="json")
    assert response.json()["credential_keys"] == ["token"]
    stored.refresh_from_db()
    assert stored.credentials == {"token": "new-token-123"}
    # Fields not given stay as they are.
    response = clients["admin"].patch(url, {"enabled": False, "watch": {"x": 1}}, format="json")
    stored.refresh_from_db()
    assert stored.credentials == {"token": "new-token-123"} and stored.poll_interval == 30
    assert stored.enabled is False and stored.watch == {"x": 1}
    assert not PeriodicTask.objects.get(name=schedule_name(stored.pk)).enabled
    detail = clients["admin"].get(url)
    no_secrets(detail)
    assert detail.json()["enabled"] is False


def test_patch_errors(clients, stored):
    url = f"/api/v1/admin/sources/{stored.pk}/"
    body = assert_error(
        clients["admin"].patch(url, {"poll_interval": -1, "base_url": "ftp:"}, format="json"),
        400,
        "validation",
    )
    assert {"poll_interval", "base_url"} <= set(body["fields"])
    assert_error(
        clients["admin"].patch("/api/v1/admin/sources/999999/", {}, format="json"),
        404,
        "not_found",
    )
    local = Source.objects.get(name=LOCAL_SOURCE_NAME)
    assert_error(
        clients["admin"].patch(
            f"/api/v1/admin/sources/{local.pk}/", {"enabled": False}, format="json"
        ),
        409,
        "task_state",
    )


@pytest.mark.parametrize(
    "role, status", [("anonymous", 401), ("outsider", 403), ("member", 403), ("admin", 202)]
)
def test_sync_role_matrix(clients, stored, role, status):
    response = clients[role].post(f"/api/v1/admin/sources/{stored.pk}/sync/")
    assert response.status_code == status
    no_secrets(response)
    if status == 202:
        body = response.json()
        assert isinstance(body["queued"], bool) and body["source"]["name"] == "strat"


def test_sync_refuses_local_disabled_and_missing_sources(clients, stored):
    local = Source.objects.get(name=LOCAL_SOURCE_NAME)
    assert_error(
        clients["admin"].post(f"/api/v1/admin/sources/{local.pk}/sync/"), 409, "task_state"
    )
    Source.objects.filter(pk=stored.pk).update(enabled=False)
    body = assert_error(
        clients["admin"].post(f"/api/v1/admin/sources/{stored.pk}/sync/"), 409, "task_state"
    )
    assert "disabled" in body["message"]
    assert_error(clients["admin"].post("/api/v1/admin/sources/999999/sync/"), 404, "not_found")
