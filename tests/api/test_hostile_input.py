"""Hostile input to the API answers a 4xx in the JSON error shape, never a 500 or an HTML page:
Unicode digits, NUL, invalid UTF-8, non-finite numbers, forged bookmarks, deep nesting, huge
bodies, newlines in paths."""

import base64
import json

import pytest
from django.test import Client

from inbox.models import UserTask
from tests.api.conftest import assert_error

UNICODE_DIGITS = ["²", "①", "٣", "１", "5²", "99999999999999999999999"]


def _bookmark(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_it_refuses_unicode_digits_in_limit(clients, task, value):
    body = assert_error(clients["admin"].get("/api/v1/tasks/", {"limit": value}), 400, "validation")
    assert "limit" in body["fields"]


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_it_refuses_unicode_digits_in_the_case_filter(clients, task, value):
    for url in ("/api/v1/tasks/", "/api/v1/admin/tasks/"):
        body = assert_error(clients["admin"].get(url, {"case": value}), 400, "validation")
        assert body["fields"]["case"] == ["Must be a case id (digits 0-9)."]


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_unicode_digits_in_an_assign_body_are_an_unknown_user_not_a_crash(clients, task, value):
    response = clients["admin"].post(
        f"/api/v1/admin/tasks/{task.id}/assign/", {"user": value}, format="json"
    )
    body = assert_error(response, 409, "assignment")
    assert "Unknown user" in body["message"]
    response = clients["admin"].post(
        f"/api/v1/admin/tasks/{task.id}/assign/", {"group": value}, format="json"
    )
    assert_error(response, 409, "assignment")


@pytest.mark.parametrize("value", ["a%00b", "%ED%A0%80", "%C0%80"])
def test_it_refuses_nul_and_encoded_surrogates_in_query_parameters(clients, task, value):
    for name in ("q", "type", "group", "context__x", "bookmark", "limit", "case"):
        response = clients["admin"].get(f"/api/v1/tasks/?{name}={value}")
        body = assert_error(response, 400, "validation")
        assert name in body["fields"]


def test_it_refuses_invalid_utf8_in_the_query_string(clients, task):
    body = assert_error(clients["admin"].get("/api/v1/tasks/?q=%FF%FE"), 400, "validation")
    assert body["fields"] == {"q": ["Not valid UTF-8."]}


def test_it_refuses_invalid_utf8_in_a_body(clients, task):
    response = clients["admin"].generic(
        "POST",
        f"/api/v1/tasks/{task.id}/comments/",
        b'{"text": "caf\xe9"}',
        content_type="application/json",
    )
    body = assert_error(response, 400, "validation")
    assert body["fields"] == {"body": ["Not valid UTF-8."]}


@pytest.mark.parametrize(
    "raw, problem",
    [
        ('{"title": "t", "type": "x", "context": {"a": 1e309}}', "finite"),
        ('{"title": "t", "type": "x", "context": {"a": NaN}}', "finite"),
        ('{"title": "t", "type": "x", "context": {"a": -Infinity}}', "finite"),
        ('{"title": "t\\u0000", "type": "x"}', "NUL"),
        ('{"title": "t", "type": "x", "context": {"k\\u0000": 1}}', "NUL"),
        ('{"title": "\\ud800", "type": "x"}', "surrogate"),
    ],
)
def test_it_refuses_non_finite_numbers_and_unstorable_text_in_bodies(clients, raw, problem):
    response = clients["admin"].generic(
        "POST", "/api/v1/tasks/", raw.encode(), content_type="application/json"
    )
    body = assert_error(response, 400, "validation")
    assert problem in json.dumps(body["fields"]), body
    assert not UserTask.objects.exists()


@pytest.mark.parametrize("depth", [65, 500, 100_000])
def test_it_refuses_bodies_nested_deeper_than_the_limit(clients, task, depth):
    raw = '{"text": ' + "[" * depth + "]" * depth + "}"
    response = clients["admin"].generic(
        "POST", f"/api/v1/tasks/{task.id}/comments/", raw, content_type="application/json"
    )
    body = assert_error(response, 400, "validation")
    assert "Nested deeper than 64 levels." in json.dumps(body["fields"])


def test_a_body_nested_within_the_limit_is_read(clients, admin):
    nested: dict = {"leaf": 1}
    for _ in range(40):
        nested = {"n": nested}
    response = clients["admin"].post(
        "/api/v1/tasks/", {"title": "Deep", "type": "t", "context": nested}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "bookmark",
    [
        _bookmark(b"[" * 100_000 + b"]" * 100_000),
        _bookmark(b'[[[["2026-01-01T00:00:00", "x"]]]]'),
        _bookmark(b'["2026-01-01T00:00:00", 1e999]'),
        _bookmark(b'["9999-99-99T00:00:00", "00000000-0000-0000-0000-000000000000"]'),
        _bookmark(b'["2026-01-01T00:00:00\\u0000", "00000000-0000-0000-0000-000000000000"]'),
        _bookmark(b"\xff\xfe"),
        _bookmark(b"{}"),
        "not base64 at all!",
        "A" * 5000,
        "²",
    ],
)
def test_it_refuses_forged_and_tampered_bookmarks(clients, task, bookmark):
    for url in ("/api/v1/tasks/", "/api/v1/admin/tasks/", "/api/v1/tasks/claimable/"):
        response = clients["admin"].get(url, {"bookmark": bookmark})
        body = assert_error(response, 400, "validation")
        assert body["fields"] == {"bookmark": ["Use the bookmark of a previous page."]}


def test_a_non_finite_context_filter_matches_nothing_instead_of_crashing(clients, task):
    response = clients["admin"].get("/api/v1/admin/tasks/", {"context__a": "1e400"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_oversized_body_gets_a_json_413(clients, task, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    raw = json.dumps({"text": "x" * 2_000_000})
    response = clients["admin"].generic(
        "POST", f"/api/v1/tasks/{task.id}/comments/", raw, content_type="application/json"
    )
    body = assert_error(response, 413, "too_large")
    assert "1000000 bytes" in body["message"]
    assert not task.comments.exists()


def test_an_oversized_form_body_gets_a_json_413_too(client, member, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(member)
    response = client.post("/api/v1/me/tokens/", {"name": "x" * 5000})
    assert_error(response, 413, "too_large")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks/%0A",
        "/api/v1/%0A",
        "/api/v1/tasks/\n/claim/",
        "/api/v1/nope%0D%0A",
        "/api/v1/%FF",
    ],
)
def test_a_newline_or_broken_byte_in_an_api_path_gets_a_json_404(clients, path):
    response = Client().get(path)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")
    response = clients["admin"].get(path)
    assert_error(response, 404, "not_found")
