"""LittleHorse bridge compatibility over HTTP: init, tenants, CORS for configured origins, error
bodies, strict input handling and the compatibility routes' OpenAPI document."""

import json

import pytest
import yaml
from drf_spectacular.validation import validate_schema

from tests.api.littlehorse_support import BASE, assert_problem, task_url

ORIGIN = "https://console.example"


def test_init_answers_200_without_a_body(clients, client, db):
    response = clients["member"].get(f"{BASE}/init")
    assert response.status_code == 200 and response.content == b""
    assert "Content-Type" not in response
    assert_problem(client.get(f"{BASE}/init"), 401)
    assert_problem(clients["member"].get("/littlehorse/acme/init"), 401)


def test_unknown_tenant_and_missing_token_are_401(clients, client, db):
    assert_problem(clients["member"].get("/littlehorse/acme/tasks", {"limit": 5}), 401)
    assert_problem(client.get(f"{BASE}/tasks", {"limit": 5}), 401)


def test_configured_tenants_are_served(clients, settings, db):
    settings.LITTLEHORSE_TENANTS = ["acme"]
    assert clients["member"].get("/littlehorse/acme/userInfo").status_code == 200
    assert_problem(clients["member"].get(f"{BASE}/userInfo"), 401)


def test_unknown_bridge_paths_are_a_404(clients, db):
    assert_problem(clients["member"].get(f"{BASE}/nothing/here"), 404)
    assert_problem(clients["member"].get("/littlehorse/acme/nothing"), 401)


def test_error_bodies_carry_message_and_rfc9457_members(clients, task):
    body = assert_problem(clients["member"].get(f"{BASE}/tasks"), 400)
    assert body["title"] == "Bad Request" and body["type"] == "about:blank"
    assert body["message"] == "limit is required" and body["fields"]["limit"]


@pytest.mark.parametrize("path", [f"{BASE}/tasks", "/api/v1/tasks/"])
def test_cors_preflight_for_a_configured_origin(client, settings, db, path):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    preflight = client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    other = client.options(
        path, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in other


def test_cors_on_answers_and_errors_but_not_on_pages(clients, client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    ok = clients["member"].get(f"{BASE}/userInfo", HTTP_ORIGIN=ORIGIN)
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    denied = client.get(f"{BASE}/userInfo", HTTP_ORIGIN=ORIGIN)
    assert denied.status_code == 401 and denied["Access-Control-Allow-Origin"] == ORIGIN
    page = client.get("/accounts/login/", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in page


def test_bad_input_is_a_400_never_a_500(clients, task):
    admin = clients["admin"]
    deep = "[" * 5000 + "]" * 5000
    nested = {"name": "x"}
    for _ in range(40):
        nested = {"a": nested}
    for body in (deep, json.dumps(nested)):
        response = admin.post(f"{BASE}/management/groups", body, content_type="application/json")
        assert_problem(response, 400)
    assert_problem(admin.post(f"{BASE}/management/groups", {"name": "a\x00b"}, format="json"), 400)
    huge = json.dumps({"name": "x" * 3_000_000})
    body = assert_problem(
        admin.post(f"{BASE}/management/groups", huge, content_type="application/json"), 413
    )
    assert "larger than" in body["message"]
    assert_problem(admin.get(f"{BASE}/admin/users/%00"), 400)
    assert_problem(admin.get(f"{BASE}/admin/tasks", {"type": "x", "limit": "²"}), 400)
    assert_problem(admin.get(f"{BASE}/admin/tasks", {"type": "x", "limit": "١٠"}), 400)
    assert_problem(admin.get(f"{BASE}/management/users", {"first_result": "-1"}), 400)
    result = admin.post(task_url(task, "/result", admin=True), [1, 2], format="json")
    assert_problem(result, 400)
    assign = admin.post(task_url(task, "/assign", admin=True), {"userId": ["x"]}, format="json")
    assert_problem(assign, 400)


def test_the_compatibility_routes_have_their_own_openapi_document(client, db):
    bridge = yaml.safe_load(client.get("/littlehorse/schema/").content)
    validate_schema(bridge)  # a valid OpenAPI 3 document
    paths = bridge["paths"]
    answer = paths["/littlehorse/{tenant_id}/tasks"]["get"]["responses"]
    assert answer["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TaskList")
    assert {"200", "400", "401", "403"} <= set(answer)
    assert "/littlehorse/{tenant_id}/tasks" in paths
    assert "/littlehorse/{tenant_id}/management/users/{user_id}/password" in paths
    assert paths["/littlehorse/{tenant_id}/init"]["get"]["tags"] == ["littlehorse"]
    assert not any(p.startswith("/api/v1/") for p in paths)
    own = yaml.safe_load(client.get("/api/v1/schema/").content)
    assert not any(p.startswith("/littlehorse/") for p in own["paths"])
    assert any(p.startswith("/api/v1/") for p in own["paths"])


def test_the_bridge_document_has_a_swagger_ui(client, db):
    html = client.get("/littlehorse/docs/").content.decode()
    assert "/littlehorse/schema/" in html
