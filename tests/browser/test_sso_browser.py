"""Single sign-on through a real OpenID Provider (npm oidc-provider under Node), driven through
its real redirects in chromium: accounts and groups from the IdP, and every kind of bad answer
refused with a page naming it and nothing changed."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Permission

from accounts.models import IdpGroupMapping, User
from tests.accounts.openid_provider import OpenIDProvider
from tests.factories import GroupFactory, TaskFactory

PROVIDERS = {
    "company": {},
    "shortlived": {"client_id": "shortlived", "id_token_ttl": 60},
    "wrongkeys": {},
    "otherissuer": {},
}


@pytest.fixture(scope="session")
def op(live_server, tmp_path_factory):
    provider = OpenIDProvider(tmp_path_factory.mktemp("op"), live_server.url, PROVIDERS)
    yield provider
    provider.stop()


@pytest.fixture
def sso(settings, op):
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [
                op.app("company", "Company SSO"),
                op.app("shortlived", "Short-lived tokens", client_id="shortlived"),
                op.app(
                    "wrongkeys",
                    "Wrong keys",
                    openid_configuration_overrides={"jwks_uri": f"{op.issuer}/other-jwks"},
                ),
                op.app(
                    "otherissuer",
                    "Other issuer",
                    openid_configuration_overrides={"issuer": "https://login.unknown.example"},
                ),
            ],
        },
    }
    return op


@pytest.fixture
def mapped_groups(db):
    finance, legal = GroupFactory(name="finance"), GroupFactory(name="legal")
    admins = GroupFactory(name="inbox-admins")
    admins.permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    IdpGroupMapping.objects.create(provider="company", idp_group="fin", group=finance)
    IdpGroupMapping.objects.create(provider="", idp_group="law", group=legal)
    IdpGroupMapping.objects.create(provider="company", idp_group="root", group=admins)
    return finance, legal, admins


def start_sign_in(session, provider_id):
    """Click the provider's button on the sign-in page; returns at the provider's login form."""
    page = session.page
    # The provider's development pages import a web font; there is no internet here.
    page.route(
        "https://fonts.googleapis.com/**",
        lambda route: route.fulfill(body="", content_type="text/css"),
    )
    session.go("/accounts/login/")
    page.click(f'button[data-provider="{provider_id}"]')
    page.wait_for_selector('input[name="login"]')
    return page


def finish_at_provider(page, username):
    page.fill('input[name="login"]', username)
    page.fill('input[name="password"]', "anything")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")  # the consent prompt


def sign_in(session, live_server, provider_id, username):
    page = start_sign_in(session, provider_id)
    finish_at_provider(page, username)
    page.wait_for_url(live_server.url + "/")
    return page


def test_first_sign_in_creates_the_user_with_mapped_groups_and_a_removed_group_hides_its_tasks(
    sso, mapped_groups, open_session, live_server
):
    finance, legal, admins = mapped_groups
    legal_task = TaskFactory(group=legal, title="Review the NDA")
    sso.set_account(
        "carol",
        email="carol@example.com",
        email_verified=True,
        preferred_username="carol",
        given_name="Carol",
        family_name="Kim",
        groups=["fin", "law", "root", "not-mapped"],
    )
    session = open_session()
    page = sign_in(session, live_server, "company", "carol")
    assert "Carol Kim" in page.inner_text("header")
    carol = User.objects.get(username="carol")
    assert carol.email == "carol@example.com"
    # "root" maps to a group carrying the admin permission, without may_grant_admin: not given.
    assert set(carol.groups.values_list("name", flat=True)) == {"finance", "legal"}
    assert not User.objects.get(pk=carol.pk).is_inbox_admin
    assert session.go(f"/tasks/{legal_task.id}/").inner_text("h1") == "Review the NDA"

    # The IdP drops "law": at the next sign-in "legal" goes, and its task answers 404 at once.
    hand_given = GroupFactory(name="hand-given")
    carol.groups.add(hand_given)
    sso.set_account("carol", email="carol@example.com", groups=["fin"])
    second = open_session()
    sign_in(second, live_server, "company", "carol")
    assert set(carol.groups.values_list("name", flat=True)) == {"finance", "hand-given"}
    response = second.page.request.get(f"{live_server.url}/tasks/{legal_task.id}/")
    assert response.status == 404  # with this browser's session cookie
    assert User.objects.filter(username="carol").count() == 1


def test_a_mapping_allowed_to_grant_admin_makes_an_inbox_admin_who_must_add_a_second_factor(
    sso, mapped_groups, open_session, live_server, settings
):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    IdpGroupMapping.objects.filter(idp_group="root").update(may_grant_admin=True)
    sso.set_account("dana", email="dana@example.com", preferred_username="dana", groups=["root"])
    session = open_session()
    page = start_sign_in(session, "company")
    finish_at_provider(page, "dana")
    # Signed in as an admin, and sent to set up a second factor before anything else; with no
    # password here, no reauthentication is asked for.
    page.wait_for_url(f"{live_server.url}/accounts/2fa/")
    assert "admin" in page.inner_text("header .who")
    assert User.objects.get(username="dana").is_inbox_admin
    session.go("/accounts/2fa/totp/activate/")
    assert page.url == f"{live_server.url}/accounts/2fa/totp/activate/"
    assert page.input_value("#authenticator_secret")


def refused(page, reason_pattern):
    page.wait_for_selector("[data-sso-error]")
    text = page.inner_text("[data-sso-error]")
    assert "Sign-in refused" in text
    assert re.search(reason_pattern, text, re.I), text
    assert "Nothing was changed" in text


def test_a_forged_state_is_refused(sso, open_session, live_server, db):
    session = open_session(javascript=False)
    session.go("/accounts/oidc/company/login/callback/?code=abc&state=forged-state")
    refused(session.page, "forged state")
    assert not User.objects.exists()


def test_a_forged_nonce_is_refused(sso, open_session, live_server, db):
    sso.set_account("erin", email="erin@example.com", groups=[])
    session = open_session(javascript=False)
    page = session.page

    def swap_nonce(route):
        # The inbox answers the button's POST with a redirect to the provider carrying the
        # nonce; an attacker-chosen one replaces it on the way.
        response = route.fetch(max_redirects=0)
        parts = urlsplit(response.headers["location"])
        query = dict(parse_qsl(parts.query))
        assert query["nonce"]
        query["nonce"] = "attacker-chosen-nonce"
        location = urlunsplit(parts._replace(query=urlencode(query)))
        route.fulfill(response=response, headers={**response.headers, "location": location})

    page.route(re.compile(r"/accounts/oidc/company/login/(\?.*)?$"), swap_nonce)
    page = start_sign_in(session, "company")
    finish_at_provider(page, "erin")
    refused(page, "nonce does not match")
    assert not User.objects.filter(username="erin").exists()


def test_an_expired_id_token_is_refused(sso, open_session, live_server, db):
    sso.set_account("frank", email="frank@example.com", groups=[])
    page = start_sign_in(open_session(javascript=False), "shortlived")
    # The provider signs ID tokens valid for 60 s; the inbox's clock reads 3 minutes later.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=3), tick=True):
        finish_at_provider(page, "frank")
        refused(page, "Signature has expired")
    assert not User.objects.filter(username="frank").exists()


def test_an_id_token_signed_with_another_key_is_refused(sso, open_session, live_server, db):
    sso.set_account("gina", email="gina@example.com", groups=[])
    page = start_sign_in(open_session(javascript=False), "wrongkeys")
    finish_at_provider(page, "gina")
    refused(page, "Signature verification failed")
    assert not User.objects.filter(username="gina").exists()


def test_an_id_token_from_an_unknown_issuer_is_refused(sso, open_session, live_server, db):
    sso.set_account("hugo", email="hugo@example.com", groups=[])
    page = start_sign_in(open_session(javascript=False), "otherissuer")
    finish_at_provider(page, "hugo")
    refused(page, "Invalid issuer")
    assert not User.objects.filter(username="hugo").exists()


def test_a_groups_claim_that_is_not_a_list_is_refused(
    sso, mapped_groups, open_session, live_server
):
    finance, legal, _ = mapped_groups
    sso.set_account("ivan", email="ivan@example.com", groups="fin")
    page = start_sign_in(open_session(javascript=False), "company")
    finish_at_provider(page, "ivan")
    refused(page, r"'groups' claim must be a list")
    assert not User.objects.filter(username="ivan").exists()
    assert not finance.user_set.exists()

    # Someone who signed in before keeps their groups, and is not signed in.
    jane = User.objects.create(username="jane", email="jane@example.com")
    jane.groups.add(legal)
    SocialAccount.objects.create(user=jane, provider="company", uid="jane")
    sso.set_account("jane", email="jane@example.com", groups={"fin": True})
    session = open_session(javascript=False)
    page = start_sign_in(session, "company")
    finish_at_provider(page, "jane")
    refused(page, r"'groups' claim must be a list of group names, not dict")
    jane.refresh_from_db()
    assert jane.last_login is None
    assert set(jane.groups.values_list("name", flat=True)) == {"legal"}
    assert session.page.request.get(f"{live_server.url}/").url.startswith(
        f"{live_server.url}/accounts/login/"
    )
