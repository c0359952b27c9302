"""Authentication, token management, throttling and the shape of every error."""

import time

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from tests.api.conftest import assert_error, client_for


def test_it_answers_anonymous_calls_with_401_json(client, db):
    response = client.get("/api/v1/tasks/")
    body = assert_error(response, 401, "unauthenticated")
    assert "credentials" in body["message"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Bearer", "Bearer a b", "Bearer inbox_revoked"],
)
def test_it_rejects_bad_bearer_tokens_with_401(client, db, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "unauthenticated")


def test_a_revoked_token_stops_working(assignee):
    token, raw = api_token_create(user=assignee)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 200
    api_token_revoke(token=token)
    assert_error(client.get("/api/v1/me/"), 401, "unauthenticated")


def test_a_token_of_an_inactive_user_stops_working(assignee):
    client = client_for(assignee)
    assignee.is_active = False
    assignee.save()
    assert_error(client.get("/api/v1/me/"), 401, "unauthenticated")


def test_last_used_is_recorded_at_most_once_a_minute(assignee):
    token, raw = api_token_create(user=assignee)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/me/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timezone.timedelta(minutes=2))
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at > first - timezone.timedelta(minutes=2)


def test_the_browser_session_works_too(client, assignee):
    client.force_login(assignee)
    assert client.get("/api/v1/me/").json()["username"] == "alice"


def test_session_writes_need_csrf(assignee, task):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(assignee)
    assert_error(client.post(f"/api/v1/tasks/{task.id}/claim/"), 403, "forbidden")


def test_me_shows_the_caller_and_their_groups(clients, admin):
    body = clients["assignee"].get("/api/v1/me/").json()
    assert body["username"] == "alice"
    assert body["is_inbox_admin"] is False
    assert [g["name"] for g in body["groups"]] == ["finance"]
    assert clients["admin"].get("/api/v1/me/").json()["is_inbox_admin"] is True


def test_groups_lists_only_the_callers_groups(clients, group, other_group):
    body = clients["member"].get("/api/v1/groups/").json()
    assert body == {"results": [{"id": group.pk, "name": "finance"}]}


def test_tokens_are_created_listed_and_revoked(assignee, member):
    client = client_for(assignee)
    created = client.post("/api/v1/me/tokens/", {"name": "ci-bot"}, format="json")
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("inbox_")
    listed = client.get("/api/v1/me/tokens/").json()
    assert "ci-bot" in [t["name"] for t in listed]
    assert all("token" not in t for t in listed)  # the secret is shown once

    new_client = client_for(None)
    new_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert new_client.get("/api/v1/me/").status_code == 200

    token_id = created.json()["id"]
    # Someone else cannot revoke it, nor learn it exists.
    assert_error(client_for(member).delete(f"/api/v1/me/tokens/{token_id}/"), 404, "not_found")
    assert client.delete(f"/api/v1/me/tokens/{token_id}/").status_code == 204
    assert_error(new_client.get("/api/v1/me/"), 401, "unauthenticated")
    revoked = [t for t in client.get("/api/v1/me/tokens/").json() if t["id"] == token_id]
    assert revoked[0]["revoked_at"] is not None


def test_token_names_are_bounded(assignee):
    response = client_for(assignee).post("/api/v1/me/tokens/", {"name": "x" * 101}, format="json")
    body = assert_error(response, 400, "validation")
    assert "name" in body["fields"]


def test_it_throttles_per_token_with_retry_after(settings, assignee):
    settings.API_THROTTLE_RATE = "3/minute"
    client = client_for(assignee)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # Another token of another user has its own budget.
    assert client_for(assignee).get("/api/v1/me/").status_code == 200


def test_a_throttle_log_written_before_the_upgrade_still_counts(settings, assignee):
    """Counters a previous release left in the cache (a list of request times) keep counting
    after the log became an array: the caller's budget is not reset by a deploy."""
    settings.API_THROTTLE_RATE = "3/minute"
    token, raw = api_token_create(user=assignee, name="old counters")
    now = time.time()
    cache.set(f"throttle_api_token:{token.pk}", [now - 1, now - 2], 60)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 200  # the third of three
    response = client.get("/api/v1/me/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_malformed_json_is_a_400_in_the_same_shape(clients, claimed_task):
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/complete/", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "validation")


def test_wrong_method_is_a_405_in_the_same_shape(clients):
    response = clients["member"].delete("/api/v1/tasks/")
    assert_error(response, 405, "method_not_allowed")


def test_unknown_paths_are_a_json_404(clients):
    assert_error(clients["member"].get("/api/v1/nothing-here/"), 404, "not_found")
    body = assert_error(clients["member"].get("/api/v1/tasks"), 404, "not_found")
    assert "/api/v1/tasks/" in body["message"]


def test_nul_characters_are_refused_not_a_crash(clients, claimed_task):
    response = clients["assignee"].get("/api/v1/tasks/", {"q": "a\x00b"})
    assert_error(response, 400, "validation")
    response = clients["assignee"].post(
        f"/api/v1/tasks/{claimed_task.id}/complete/",
        {"results": {"approved": True, "note": "x\x00"}},
        format="json",
    )
    assert_error(response, 400, "validation")


def test_the_schema_and_swagger_ui_are_served_without_a_cdn(client, db, settings):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/tasks/{task_id}/claim/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


def test_form_bodies_are_refused_with_415(clients, task):
    response = clients["member"].post(f"/api/v1/tasks/{task.id}/comments/", {"text": "hi"})
    assert_error(response, 415, "unsupported_media_type")
