"""Accounts around single sign-on: deactivation, password sign-in turned off, the admin-MFA
rule on the API, the user list, API tokens on the profile page, provider configuration from the
environment, and `check --deploy` with production-like settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from config.sso import oidc_apps, saml_apps
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(raw) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_deactivating_a_user_in_the_admin_ends_their_sessions_and_tokens_at_once(
    member, admin, task
):
    admin.is_superuser = admin.is_staff = True
    admin.save()
    browser = signed_in(member)
    _, raw = api_token_create(user=member, name="script")
    assert browser.get(f"/tasks/{task.id}/").status_code == 200
    assert bearer(raw).get("/api/v1/me/").status_code == 200

    change = signed_in(admin).get(f"/django-admin/accounts/user/{member.pk}/change/")
    form = change.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        is_active="",
        groups=[g.pk for g in member.groups.all()],
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0=member.date_joined.date().isoformat(),
        date_joined_1="00:00:00",
    )
    data.pop("is_active")
    response = signed_in(admin).post(f"/django-admin/accounts/user/{member.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    member.refresh_from_db()
    assert not member.is_active

    # The open browser session is signed out, and the token answers 401 naming why.
    page = browser.get(f"/tasks/{task.id}/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    answer = bearer(raw).get("/api/v1/me/")
    assert answer.status_code == 401
    assert "Invalid or revoked token" in answer.json()["message"]


@pytest.fixture
def passwords_off(settings):
    settings.LOCAL_PASSWORDS = False
    settings.AUTHENTICATION_BACKENDS = ["accounts.backends.SingleSignOnOnlyBackend"]


def test_with_local_passwords_off_no_password_signs_anyone_in(passwords_off, member):
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="password"' not in page.content
    assert b"Password sign-in is turned off and no single sign-on provider" in page.content

    refused = client.post(
        "/accounts/login/", {"login": member.username, "password": "pw-for-tests-only"}
    )
    assert refused.status_code == 200
    assert b"Password sign-in is turned off here" in refused.content
    assert client.get("/").status_code == 302  # still signed out

    admin_login = client.post(
        "/django-admin/login/", {"username": member.username, "password": "pw-for-tests-only"}
    )
    assert admin_login.status_code == 302
    assert admin_login["Location"].startswith("/accounts/login/")
    reset = client.post("/accounts/password/reset/", {"email": member.email})
    assert b"Password sign-in is turned off here" in reset.content


def test_with_local_passwords_on_the_password_form_still_works(member):
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": member.username, "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_an_admin_without_a_second_factor_gets_403_from_the_api_in_a_session_not_with_a_token(
    settings, admin
):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    session = signed_in(admin)
    answer = session.get("/api/v1/me/")
    assert answer.status_code == 403
    assert "second factor" in answer.json()["message"]
    assert session.get("/console/tasks/")["Location"] == "/accounts/2fa/"
    _, raw = api_token_create(user=admin, name="ops")
    assert bearer(raw).get("/api/v1/me/").status_code == 200

    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert session.get("/api/v1/me/").status_code == 200
    assert session.get("/console/tasks/").status_code == 200


def test_the_admin_user_list_shows_sign_in_method_last_sign_in_and_second_factor(admin, member):
    admin.is_superuser = admin.is_staff = True
    admin.save()
    sso_user = UserFactory(username="sso-sam")
    sso_user.set_unusable_password()
    sso_user.save()
    SocialAccount.objects.create(user=sso_user, provider="keycloak", uid="sam")
    Authenticator.objects.create(user=sso_user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.post("/accounts/login/", {"login": admin.username, "password": "pw-for-tests-only"})
    page = client.get("/django-admin/accounts/user/")
    assert page.status_code == 200
    rows = {
        row.username: row for row in page.context["cl"].result_list
    }  # the rows as the changelist shows them
    html = page.content.decode()
    assert "Sign-in method" in html and "Second factor" in html and "Last login" in html
    assert "SSO: keycloak" in html
    assert rows["sso-sam"].has_second_factor and not rows[member.username].has_second_factor
    admin_row = html[html.index(f">{admin.username}<") :]
    assert "password" in admin_row[: admin_row.index("</tr>")]


def test_profile_lists_and_creates_and_revokes_api_tokens(member):
    client = signed_in(member)
    created = client.post(
        "/profile/tokens/", {"name": "reporting", "scope": "read", "expires_in_days": "30"}
    )
    assert created.status_code == 200
    raw = created.context["new_token"]
    assert raw.encode() in created.content
    token = ApiToken.objects.get(user=member)
    assert token.scope == "read" and token.expires_at is not None
    assert bearer(raw).get("/api/v1/me/").status_code == 200

    page = client.get("/profile/").content.decode()
    row = page[page.index(f'data-token="{token.prefix}"') :]
    row = row[: row.index("</tr>")]
    assert "Read-only" in row and "active" in row
    assert token.expires_at.strftime("%Y-%m-%d") in row
    assert raw not in page  # shown once only

    bad = client.post("/profile/tokens/", {"scope": "everything", "expires_in_days": "3"})
    assert bad.status_code == 400
    assert b"Choose full or read-only." in bad.content
    assert b"Choose one of the listed lifetimes." in bad.content
    assert ApiToken.objects.filter(user=member).count() == 1

    other = UserFactory(username="other")
    assert signed_in(other).post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert bearer(raw).get("/api/v1/me/").status_code == 401
    assert "revoked" in client.get("/profile/").content.decode()


def test_oidc_providers_from_the_environment():
    apps = oidc_apps(
        json.dumps(
            [
                {
                    "id": "keycloak",
                    "name": "Company account",
                    "issuer": "https://sso.example.com/realms/acme",
                    "client_id": "inbox",
                    "secret": "s",
                    "scopes": ["openid", "email", "groups"],
                },
                {
                    "id": "entra",
                    "issuer": "https://login.microsoftonline.com/tid/v2.0",
                    "client_id": "c",
                    "groups_claim": "roles",
                },
            ]
        ),
        "groups",
    )
    assert [a["provider_id"] for a in apps] == ["keycloak", "entra"]
    assert apps[0]["name"] == "Company account"
    assert apps[0]["settings"]["scope"] == ["openid", "email", "groups"]
    assert apps[1]["settings"]["groups_claim"] == "roles"
    assert apps[1]["settings"]["scope"] == ["openid", "profile", "email"]


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{not json", "OIDC_PROVIDERS is not valid JSON"),
        ('{"id": "x"}', "must be a JSON list of objects"),
        ('[{"id": "Bad Id", "issuer": "https://x", "client_id": "c"}]', "OIDC_PROVIDERS[0].id"),
        ('[{"id": "a", "client_id": "c"}]', "OIDC_PROVIDERS[0].issuer is required"),
        ('[{"id": "a", "issuer": "ftp://x", "client_id": "c"}]', "must be an http(s) URL"),
        ('[{"id": "a", "issuer": "https://x"}]', "OIDC_PROVIDERS[0].client_id is required"),
        (
            '[{"id": "a", "issuer": "https://x", "client_id": "c", "scopes": ["email"]}]',
            "must include 'openid'",
        ),
        ('[{"id": "a", "issuer": "https://x", "client_id": "c", "colour": 1}]', "colour"),
        (
            '[{"id": "a", "issuer": "https://x", "client_id": "c"},'
            ' {"id": "a", "issuer": "https://y", "client_id": "d"}]',
            "used twice",
        ),
    ],
)
def test_a_bad_oidc_providers_value_stops_start_up_naming_it(raw, message):
    with pytest.raises(ImproperlyConfigured) as error:
        oidc_apps(raw, "groups")
    assert message in str(error.value)


def test_saml_providers_from_the_environment():
    (app,) = saml_apps(
        '[{"id": "acme", "name": "ACME", "metadata_url": "https://idp.example.com/metadata",'
        ' "groups_attribute": "memberOf"}]',
        "groups",
    )
    assert app["client_id"] == "acme"
    assert app["settings"]["idp"] == {
        "metadata_url": "https://idp.example.com/metadata",
        "entity_id": None,
    }
    assert app["settings"]["groups_attribute"] == "memberOf"
    with pytest.raises(ImproperlyConfigured, match=r"SAML_PROVIDERS\[0\].sso_url is required"):
        saml_apps('[{"id": "acme", "entity_id": "urn:x"}]', "groups")


def test_the_saml_metadata_url_serves_the_service_provider_metadata(settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "saml": {
            "APPS": saml_apps(
                json.dumps(
                    [
                        {
                            "id": "acme",
                            "entity_id": "https://idp.example.com/entity",
                            "sso_url": "https://idp.example.com/sso",
                            "x509cert": "MIIBszCCAVmgAwIBAgIU",
                        }
                    ]
                ),
                "groups",
            )
        },
    }
    settings.ALLOWED_HOSTS = ["inbox.example.com"]
    response = Client(HTTP_HOST="inbox.example.com").get("/accounts/saml/acme/metadata/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "EntityDescriptor" in body
    assert "http://inbox.example.com/accounts/saml/acme/acs/" in body


def test_check_deploy_is_clean_with_production_like_settings(tmp_path):
    # A clean environment: nothing of the test run (DEBUG, DJANGO_ALLOW_ASYNC_UNSAFE...) leaks in.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-" + "y" * 20,
        ALLOWED_HOSTS="inbox.example.com",
        BEHIND_TLS_PROXY="true",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        INBOX_VAR_DIR=str(tmp_path),
        LOCAL_PASSWORDS="false",
        MFA_REQUIRED_FOR_ADMINS="true",
        OIDC_PROVIDERS=json.dumps(
            [
                {
                    "id": "keycloak",
                    "name": "Company account",
                    "issuer": "https://sso.example.com/realms/acme",
                    "client_id": "inbox",
                    "secret": "s",
                }
            ]
        ),
        SAML_PROVIDERS='[{"id": "acme", "metadata_url": "https://idp.example.com/metadata"}]',
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def test_the_console_user_list_shows_sign_in_method_last_sign_in_and_second_factor(admin, member):
    sso_user = UserFactory(username="sso-sam")
    sso_user.set_unusable_password()
    sso_user.save()
    SocialAccount.objects.create(user=sso_user, provider="keycloak", uid="sam")
    Authenticator.objects.create(user=sso_user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Client().post("/accounts/login/", {"login": member.username, "password": "pw-for-tests-only"})
    member.refresh_from_db()
    body = signed_in(admin).get("/console/users/").content.decode()

    def facts(username):
        row = body[body.index(f"<strong>{username}</strong>") :]
        row = row[row.index("data-sign-in>") :]
        return row[: row.index("</div>")]

    assert "Signs in with SSO: keycloak" in facts("sso-sam")
    assert "second factor on" in facts("sso-sam") and "last never" in facts("sso-sam")
    assert "Signs in with password" in facts(member.username)
    assert "no second factor" in facts(member.username)
    assert member.last_login.strftime("%Y-%m-%d") in facts(member.username)


def test_an_admin_without_a_second_factor_is_never_sent_a_whole_page_inside_an_htmx_fragment(
    settings, admin
):
    """The bell and the navigation counts load by htmx on the setup page itself: they get nothing
    to swap (a redirect would put the whole setup page inside the header), and an htmx action from
    another page moves the whole browser to the setup page."""
    settings.MFA_REQUIRED_FOR_ADMINS = True
    session = signed_in(admin)
    from_setup = {
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_CURRENT_URL": "http://testserver/accounts/2fa/",
    }
    for fragment in ("/notifications/bell/", "/nav/counts/"):
        answer = session.get(fragment, **from_setup)
        assert answer.status_code == 204, fragment
        assert answer.content == b""
    from_list = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/claimable/"}
    answer = session.get("/nav/counts/", **from_list)
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == "/accounts/2fa/"
    # The setup page shows the warning once, not once per background request.
    page = session.get("/accounts/2fa/")
    assert page.content.decode().count("Inbox admins need a second factor") == 1
    # A forged current URL is no setup page: the same redirect, never a 500.
    forged = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://[forged/accounts/"}
    answer = session.get("/nav/counts/", **forged)
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == "/accounts/2fa/"
