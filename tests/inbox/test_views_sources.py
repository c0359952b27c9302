"""The console's Add source / Edit forms and the Django admin's Source form: credentials are
write-only everywhere (never rendered, blank keeps, "remove" drops)."""

import pytest
from django.urls import reverse

from inbox.models import LOCAL_SOURCE_NAME, Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "tok-5c1d-never-rendered"
OTHER = "sec-0b2e-never-rendered"


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def stored(db):
    return SourceFactory(
        name="strat",
        kind=Source.Kind.STRATEGY,
        base_url="https://strategy.example.com",
        credentials={"token": SECRET, "secret": OTHER},
        watch={"instance_sids": ["i-1"]},
    )


def clean(response) -> str:
    body = response.content.decode()
    assert SECRET not in body and OTHER not in body and "typed-secret-1" not in body
    return body


FORM = {
    "kind": "cloudflare",
    "name": "cf-new",
    "base_url": "https://cf.example.com/client/v4",
    "cred__token": "typed-secret-1",
    "watch": '{"account_id": "acc-1", "workflows": ["approvals"]}',
    "mapping": "{}",
    "poll_interval": "20",
    "enabled": "on",
}


def test_sources_page_offers_add_and_edit_but_not_for_local(admin_client, stored):
    body = clean(admin_client.get(reverse("inbox:admin_sources")))
    assert "Add source" in body
    assert reverse("inbox:admin_source_edit", args=[stored.pk]) in body
    local = Source.objects.get(name=LOCAL_SOURCE_NAME)
    assert reverse("inbox:admin_source_edit", args=[local.pk]) not in body
    assert admin_client.get(reverse("inbox:admin_source_edit", args=[local.pk])).status_code == 404


def test_staff_get_404_on_source_forms(client, member, stored):
    client.force_login(member)
    assert client.get(reverse("inbox:admin_source_new")).status_code == 404
    assert client.post(reverse("inbox:admin_source_new"), FORM).status_code == 404
    url = reverse("inbox:admin_source_edit", args=[stored.pk])
    assert client.post(url, {**FORM, "name": "strat"}).status_code == 404
    stored.refresh_from_db()
    assert stored.kind == "strategy"


def test_add_source_without_js(admin_client):
    page = clean(admin_client.get(reverse("inbox:admin_source_new")))
    assert "<html" in page and 'name="cred__token"' in page
    response = admin_client.post(reverse("inbox:admin_source_new"), FORM)
    assert response.status_code == 302 and response["Location"] == reverse("inbox:admin_sources")
    source = Source.objects.get(name="cf-new")
    assert source.credentials == {"token": "typed-secret-1"} and source.poll_interval == 20
    assert source.watch == {"account_id": "acc-1", "workflows": ["approvals"]}
    clean(admin_client.get(response["Location"]))


def test_add_source_with_htmx_refreshes_the_table(admin_client):
    fragment = admin_client.get(
        reverse("inbox:admin_source_new"), {"kind": "strategy", "name": "s1"}, **HTMX
    )
    body = clean(fragment)
    assert "<html" not in body and 'name="cred__secret"' in body and 'value="s1"' in body
    assert "instance_sids" in body
    response = admin_client.post(reverse("inbox:admin_source_new"), FORM, **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert "sources-changed" in response["HX-Trigger"] and "cf-new" in response["HX-Trigger"]


def test_add_source_errors_show_next_to_their_fields(admin_client, stored):
    bad = {
        **FORM,
        "name": "strat",
        "base_url": "nope",
        "watch": "{oops",
        "mapping": "[]",
        "poll_interval": "0",
        "cred_new_name": "client_id",
    }
    response = admin_client.post(reverse("inbox:admin_source_new"), bad)
    body = clean(response)
    assert response.status_code == 400
    assert 'id="src-name-error"' in body and "already exists" in body
    assert 'id="src-url-error"' in body and 'id="src-watch-error"' in body
    assert "Not valid JSON" in body and 'id="src-mapping-error"' in body
    assert 'id="src-interval-error"' in body and "both a name and a value" in body
    assert "{oops" in body and "Secrets you typed were not kept" in body
    response = admin_client.post(reverse("inbox:admin_source_new"), {**bad, "kind": ""}, **HTMX)
    body = clean(response)
    assert response.status_code == 200 and 'id="src-kind-error"' in body and "<html" not in body
    assert "Choose the engine this source polls." in body and "Must be one of" not in body
    response = admin_client.post(reverse("inbox:admin_source_new"), {**bad, "kind": "sap"})
    assert "&#x27;sap&#x27; is not an engine the inbox knows" in clean(response)
    assert "UiPath Maestro (uipath)" in clean(response)
    assert Source.objects.filter(name="strat").count() == 1


def test_the_sources_page_says_when_a_failing_source_is_tried_and_shows_its_whole_error(
    admin_client, stored
):
    from datetime import timedelta

    from django.utils import timezone

    long_error = "Connection refused by the engine at https://engine.example.com " + "x" * 120
    Source.objects.filter(pk=stored.pk).update(
        consecutive_failures=3,
        next_attempt_at=timezone.now() - timedelta(seconds=5),
        last_error=long_error,
        last_error_at=timezone.now(),
    )
    body = clean(admin_client.get(reverse("inbox:admin_sources")))
    assert "3 failures in a row, next try now" in body and "0 minutes" not in body
    assert '<details class="err-full">' in body and long_error in body
    Source.objects.filter(pk=stored.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=50)
    )
    body = clean(admin_client.get(reverse("inbox:admin_sources")))
    assert "next try in 4" in body  # 49 or 50 s


def test_the_watch_example_shows_an_ellipsis_not_its_escape(admin_client, stored):
    uipath = SourceFactory(name="ui", kind=Source.Kind.UIPATH, watch={"org": "acme"})
    body = admin_client.get(reverse("inbox:admin_source_edit", args=[uipath.pk])).content.decode()
    assert "E.g." in body and '"folder_key": "…"' in body.replace("&quot;", '"')
    assert "\\u2026" not in body


def test_edit_never_prefills_credentials_and_blank_keeps_them(admin_client, stored):
    url = reverse("inbox:admin_source_edit", args=[stored.pk])
    body = clean(admin_client.get(url))
    assert 'name="cred__token"' in body and 'name="cred_remove__secret"' in body
    assert 'type="password" name="cred__token" value=""' in body
    form = {
        "kind": "strategy",
        "name": "strat",
        "base_url": "https://strategy2.example.com",
        "watch": '{"instance_sids": ["i-1", "i-2"]}',
        "mapping": "{}",
        "poll_interval": "45",
        "cred__token": "",
        "cred__secret": "",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.credentials == {"token": SECRET, "secret": OTHER}
    assert stored.base_url == "https://strategy2.example.com" and stored.poll_interval == 45
    assert stored.enabled is False  # the checkbox was left unticked
    response = admin_client.post(
        url, {**form, "cred__token": "typed-secret-1", "cred_remove__secret": "1"}, **HTMX
    )
    assert response.status_code == 200 and "sources-changed" in response["HX-Trigger"]
    stored.refresh_from_db()
    assert stored.credentials == {"token": "typed-secret-1"}
    clean(admin_client.get(url))


def test_edit_errors_keep_what_was_typed_except_secrets(admin_client, stored):
    url = reverse("inbox:admin_source_edit", args=[stored.pk])
    response = admin_client.post(
        url,
        {
            "kind": "strategy",
            "name": "strat",
            "base_url": "https://ok.example.com",
            "watch": "{}",
            "mapping": "{}",
            "poll_interval": "x",
            "cred__token": "typed-secret-1",
        },
        **HTMX,
    )
    body = clean(response)
    assert 'id="src-interval-error"' in body and 'value="https://ok.example.com"' in body
    stored.refresh_from_db()
    assert stored.credentials["token"] == SECRET and stored.base_url.startswith("https://strategy")


def test_sync_now_refuses_disabled_sources_with_a_message(admin_client, stored):
    Source.objects.filter(pk=stored.pk).update(enabled=False)
    response = admin_client.post(reverse("inbox:admin_sources"), {"sync": stored.pk}, **HTMX)
    assert response.status_code == 200 and "disabled" in response["HX-Trigger"]
    assert admin_client.post(reverse("inbox:admin_sources"), {"sync": "x"}).status_code == 404


# --- Django admin -------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, db):
    from tests.factories import UserFactory

    user = UserFactory(username="su", is_superuser=True, is_staff=True)
    client.force_login(user)
    return client


def test_django_admin_shows_which_credentials_are_set_never_their_values(superuser_client, stored):
    url = reverse("admin:inbox_source_change", args=[stored.pk])
    body = clean(superuser_client.get(url))
    assert "Credentials set" in body and "secret, token" in body
    assert 'name="token"' in body and 'name="remove_credentials"' in body
    data = {
        "name": "strat",
        "kind": "strategy",
        "base_url": "https://strategy.example.com",
        "enabled": "on",
        "poll_interval": "30",
        "watch": '{"instance_sids": ["i-1"]}',
        "mapping": "{}",
        "token": "",
        "secret": "",
        "other_credential_name": "client_id",
        "other_credential_value": "cid-1",
        "remove_credentials": ["secret"],
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    stored.refresh_from_db()
    assert stored.credentials == {"token": SECRET, "client_id": "cid-1"}
    response = superuser_client.post(
        url, {**data, "token": "typed-secret-1", "remove_credentials": []}
    )
    stored.refresh_from_db()
    assert stored.credentials == {"token": "typed-secret-1", "client_id": "cid-1"}
    clean(superuser_client.get(url))


def test_django_admin_adds_a_source_with_credentials(superuser_client):
    response = superuser_client.post(
        reverse("admin:inbox_source_add"),
        {
            "name": "lh-admin",
            "kind": "littlehorse",
            "base_url": "https://lh.example.com",
            "enabled": "on",
            "poll_interval": "30",
            "watch": "{}",
            "mapping": "{}",
            "token": SECRET,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Source.objects.get(name="lh-admin").credentials == {"token": SECRET}
