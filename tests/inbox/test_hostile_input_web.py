"""Hostile input to the web pages: a 400 page naming the bad field, or the list's inline filter
error, never a 500. NUL and invalid UTF-8 are refused before any view runs
(``inbox.middleware.InputGuardMiddleware``); ids and numbers go through ``inbox.parsing``."""

import base64
import json

import pytest
from django.urls import reverse

from inbox.models import Comment, TaskStatus
from tests.factories import SourceFactory, TaskFactory

UNICODE_DIGITS = ["²", "①", "٣", "99999999999999999999999"]


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def as_assignee(client, assignee):
    client.force_login(assignee)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "inbox:home",
        "inbox:claimable",
        "inbox:history",
        "inbox:admin_tasks",
        "inbox:cases",
        "inbox:admin_users",
        "inbox:pick_users",
    ],
)
@pytest.mark.parametrize("param", ["q", "type", "group", "context__region", "status", "bookmark"])
def test_a_nul_in_a_filter_gets_a_400_page_naming_it(as_admin, name, param):
    response = as_admin.get(f"{reverse(name)}?{param}=a%00b")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Contains a NUL character." in text and param in text


def test_invalid_utf8_in_a_filter_gets_a_400_page(as_admin):
    response = as_admin.get(reverse("inbox:admin_tasks") + "?q=%FF%FE")
    assert response.status_code == 400
    assert "Not valid UTF-8." in response.content.decode()


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_unicode_digits_in_the_case_filter_show_an_inline_error(as_admin, task, value):
    response = as_admin.get(reverse("inbox:admin_tasks"), {"case": value})
    assert response.status_code == 200
    assert "Must be a case id (digits 0-9)." in response.content.decode()


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_unicode_digits_in_paging_parameters_are_ignored_not_a_crash(as_admin, task, value):
    assert as_admin.get(reverse("inbox:cases"), {"before": value}).status_code == 200
    response = as_admin.get(
        reverse("inbox:admin_tasks"), {"stamp": "x", "shown": value}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    response = as_admin.post(reverse("inbox:admin_sources"), {"sync": value})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "bookmark",
    [
        base64.urlsafe_b64encode(b"[" * 50_000 + b"]" * 50_000).decode(),
        base64.urlsafe_b64encode(b'["2026-01-01", 1e999]').decode(),
        "forged!",
    ],
)
def test_a_forged_bookmark_shows_an_inline_error(as_admin, task, bookmark):
    response = as_admin.get(reverse("inbox:admin_tasks"), {"bookmark": bookmark})
    assert response.status_code == 200
    assert "Use the bookmark of a previous page." in response.content.decode()


def test_a_non_finite_context_filter_lists_nothing(as_admin, task):
    response = as_admin.get(reverse("inbox:admin_tasks"), {"context__a": "1e400"})
    assert response.status_code == 200
    assert task.title not in response.content.decode()


def test_a_nul_in_a_comment_is_refused_and_nothing_is_saved(as_assignee, task):
    url = reverse("inbox:task", args=[task.pk])
    response = as_assignee.post(url, {"comment_add": "1", "text": "hello\x00world"})
    assert response.status_code == 400
    assert "text" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_nul_in_a_text_result_is_refused_and_the_task_stays_open(as_assignee, assignee, task):
    from inbox import lifecycle

    lifecycle.task_claim(task_id=task.id, user=assignee)
    url = reverse("inbox:task", args=[task.pk])
    response = as_assignee.post(url, {"complete": "1", "f_approved": "true", "f_note": "a\x00b"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED


@pytest.mark.parametrize("value", UNICODE_DIGITS)
def test_unicode_digits_as_a_comment_id_are_no_such_comment(as_assignee, task, value):
    url = reverse("inbox:task", args=[task.pk])
    response = as_assignee.post(url, {"comment_delete": value})
    assert response.status_code in (200, 404)
    assert response.status_code != 500


def test_a_non_finite_number_in_start_parameters_is_named_inline(as_admin):
    source = SourceFactory(name="cf", kind="cloudflare")
    response = as_admin.post(
        reverse("inbox:case_start"), {"source": str(source.pk), "params": '{"a": 1e309}'}
    )
    assert response.status_code == 400
    assert "finite" in response.content.decode()


def test_deeply_nested_source_settings_are_named_inline(as_admin):
    response = as_admin.post(
        reverse("inbox:admin_source_new"),
        {
            "name": "x",
            "kind": "cloudflare",
            "base_url": "http://h/",
            "watch": "[" * 500 + "]" * 500,
        },
    )
    assert response.status_code == 400
    assert "Nested deeper than 64 levels." in response.content.decode()


def test_a_list_with_valid_filters_still_works(as_admin, group):
    TaskFactory(group=group, title="Visible one")
    response = as_admin.get(reverse("inbox:admin_tasks"), {"q": "Visible", "case": ""})
    assert response.status_code == 200
    assert "Visible one" in response.content.decode()


def test_an_htmx_request_with_a_nul_keeps_the_page_and_shows_an_error_toast(as_assignee, task):
    url = reverse("inbox:task", args=[task.pk])
    response = as_assignee.post(url, {"comment_add": "1", "text": "a\x00b"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    toast = json.loads(response["HX-Trigger"])["toast"][0]
    assert toast["level"] == "error" and "text: Contains a NUL character." in toast["message"]
    assert not Comment.objects.exists()


def test_an_oversized_form_gets_the_400_page_not_a_crash(as_assignee, task, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    url = reverse("inbox:task", args=[task.pk])
    response = as_assignee.post(url, {"comment_add": "1", "text": "x" * 50_000})
    assert response.status_code == 400
    assert "That request could not be read" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "path", ["/", "/claimable/", "/api/v1/tasks/", "/littlehorse/default/init"]
)
def test_a_forged_session_cookie_with_nul_is_a_stranger_not_a_500(client, path):
    client.cookies["sessionid"] = "abc\x00def"
    client.cookies["csrftoken"] = "x\x00"
    response = client.get(path)
    assert response.status_code in (200, 302, 401, 403)
    if path == "/":
        assert "/accounts/login/" in response["Location"]  # treated as signed out
