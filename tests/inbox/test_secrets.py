"""Secrets stay secret: a source URL's userinfo (``http://user:secret@host/``), its tokens and
errors that echo them are never rendered back: console Sources page, source form, Django admin,
API, stored errors, logs. Sending the masked URL back keeps the stored userinfo."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from inbox.models import Source
from inbox.secrets import RedactingFilter, redact_text, redact_url, restore_url
from inbox.sync import poller
from tests.api.conftest import client_for
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-9f3e-never-shown"
TOKEN = "tok-77aa-never-shown"
URL = f"http://admin:{PASSWORD}@127.0.0.1:9/"


@pytest.fixture
def source(db):
    return SourceFactory(
        name="lh-secret",
        kind=Source.Kind.LITTLEHORSE,
        base_url=URL,
        credentials={"token": TOKEN},
        last_error=f"ConnectorError: GET {URL}x: refused; Authorization: Bearer {TOKEN}",
    )


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def clean(text: str) -> str:
    assert PASSWORD not in text and TOKEN not in text and "admin:" not in text, text[:2000]
    return text


def test_the_sources_page_shows_neither_password_nor_token(admin_client, source):
    body = clean(admin_client.get(reverse("inbox:admin_sources")).content.decode())
    assert "http://***@127.0.0.1:9/" in body
    assert "refused" in body  # the error is shown, redacted


def test_the_source_form_masks_the_userinfo_and_saving_it_back_keeps_it(admin_client, source):
    url = reverse("inbox:admin_source_edit", args=[source.pk])
    body = clean(admin_client.get(url).content.decode())
    assert 'value="http://***@127.0.0.1:9/"' in body
    form = {
        "name": source.name,
        "kind": source.kind,
        "base_url": "http://***@127.0.0.1:9/",
        "watch": "{}",
        "mapping": "{}",
        "poll_interval": "45",
        "enabled": "on",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.base_url == URL and source.poll_interval == 45
    admin_client.post(url, {**form, "base_url": "http://127.0.0.1:10/"})
    source.refresh_from_db()
    assert source.base_url == "http://127.0.0.1:10/"


def test_a_form_error_does_not_echo_a_typed_password(admin_client, source):
    url = reverse("inbox:admin_source_edit", args=[source.pk])
    response = admin_client.post(
        url, {"name": "bad name!", "kind": "littlehorse", "base_url": f"http://u:{PASSWORD}@h/"}
    )
    assert response.status_code == 400
    clean(response.content.decode())


def test_the_django_admin_never_shows_the_userinfo_or_the_error_secrets(admin_client, source):
    url = reverse("admin:inbox_source_change", args=[source.pk])
    from accounts.models import User

    User.objects.filter(username="root").update(is_staff=True, is_superuser=True)
    body = clean(admin_client.get(url).content.decode())
    assert "http://***@127.0.0.1:9/" in body and "refused" in body
    listing = clean(admin_client.get(reverse("admin:inbox_source_changelist")).content.decode())
    assert "lh-secret" in listing


def test_the_api_shows_neither_and_patching_the_masked_url_keeps_it(admin, source):
    api = client_for(admin)
    body = api.get(f"/api/v1/admin/sources/{source.pk}/").json()
    clean(str(body))
    assert body["base_url"] == "http://***@127.0.0.1:9/"
    assert "refused" in body["last_error"] and "***" in body["last_error"]
    response = api.patch(
        f"/api/v1/admin/sources/{source.pk}/", {"base_url": body["base_url"]}, format="json"
    )
    assert response.status_code == 200
    source.refresh_from_db()
    assert source.base_url == URL
    clean(str(api.get("/api/v1/admin/sources/").json()))


class _EchoingEngine(BaseHTTPRequestHandler):
    """An engine that refuses every call and echoes the credentials it got in its error."""

    def do_GET(self):  # noqa: N802
        body = json.dumps(
            {"message": f"bad credentials {self.headers.get('Authorization')} from {URL}"}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def echoing_engine():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://admin:{PASSWORD}@127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_failed_poll_stores_its_error_without_the_secrets(source, echoing_engine):
    Source.objects.filter(pk=source.pk).update(last_error="", base_url=echoing_engine)
    result = poller.poll(source.pk, force=True)
    assert result.status == "failed"
    source.refresh_from_db()
    assert "HTTP 401" in clean(source.last_error) and "***" in source.last_error


def test_log_lines_are_redacted_by_the_configured_handler():
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    ]
    assert handlers, "the console handler carries the redacting filter"
    record = logging.LogRecord(
        "inbox.sync", logging.ERROR, __file__, 1, "GET %s failed (token=%s)", (URL, TOKEN), None
    )
    for handler in handlers:
        assert handler.filter(record)
        clean(handler.format(record))


@pytest.mark.parametrize(
    "text",
    [
        f"GET {URL}: refused",
        f"Authorization: Bearer {TOKEN}",
        f'{{"password": "{PASSWORD}"}}',
        f"https://x.example/?api_key={TOKEN}&a=1",
    ],
)
def test_redact_text_hides_every_kind_of_secret(text):
    clean(redact_text(text))


def test_redact_and_restore_round_trip():
    assert redact_url(URL) == "http://***@127.0.0.1:9/"
    assert redact_url("http://h/x") == "http://h/x"
    assert restore_url("http://***@127.0.0.1:9/y", URL) == f"http://admin:{PASSWORD}@127.0.0.1:9/y"
    assert restore_url("http://***@h/", None) == "http://***@h/"
