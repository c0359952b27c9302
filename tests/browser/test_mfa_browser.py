"""Second factor (allauth.mfa) in chromium: with MFA_REQUIRED_FOR_ADMINS an inbox admin is sent
to set one up before anything else; a TOTP code and a recovery code then sign them in."""

import base64
import hashlib
import hmac
import re
import struct
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator

from tests.browser.conftest import PASSWORD


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def landing(live_server) -> re.Pattern:
    """Where a signed-in person lands: My tasks, or All tasks for an admin in no group."""
    return re.compile(re.escape(live_server.url) + r"/(console/tasks/)?$")


def password_sign_in(session, username):
    page = session.go("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    return page


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True


def test_an_admin_is_forced_through_setup_then_totp_and_a_recovery_code_sign_them_in(
    mfa_required, admin, member, open_session, live_server
):
    session = open_session()
    page = password_sign_in(session, admin.username)
    page.wait_for_url(f"{live_server.url}/accounts/2fa/")
    assert "Inbox admins need a second factor" in page.inner_text("#toasts")
    # Every other page sends them back here until a second factor exists.
    session.go("/console/tasks/")
    assert page.url == f"{live_server.url}/accounts/2fa/"

    session.go("/accounts/2fa/totp/activate/")
    # Adding a second factor asks for the password again first.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Confirm')")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp(secret))
    page.click("button:has-text('Activate')")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.input_value("#recovery_codes").split()
    assert len(codes) == 10
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    session.go("/console/tasks/")
    assert page.url == f"{live_server.url}/console/tasks/"

    # A later sign-in asks for the code (one period on: the first code is spent).
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=31), tick=True):
        second = open_session()
        page = password_sign_in(second, admin.username)
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("input[name=code]", "000000" if totp(secret) != "000000" else "111111")
        page.click("button[type=submit]")
        assert "Incorrect code" in page.inner_text("main")
        page.fill("input[name=code]", totp(secret))
        page.click("button[type=submit]")
        page.wait_for_url(landing(live_server))

    third = open_session()
    page = password_sign_in(third, admin.username)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", codes[0])
    page.click("button[type=submit]")
    page.wait_for_url(landing(live_server))
    # The code is spent.
    assert "There are 9 out of 10 recovery codes available." in third.go(
        "/accounts/2fa/"
    ).inner_text("main")

    # A non-admin is not asked for a second factor.
    fourth = open_session()
    page = password_sign_in(fourth, member.username)
    page.wait_for_url(landing(live_server))


def test_a_security_key_can_be_added_and_signs_in(settings, member, open_session, live_server):
    """WebAuthn with chromium's virtual authenticator (DevTools protocol) standing in for the key."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # http://localhost in the tests
    session = open_session()
    cdp = session.context.new_cdp_session(session.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page = password_sign_in(session, member.username)
    page.wait_for_url(landing(live_server))
    session.go("/accounts/2fa/webauthn/add/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Confirm')")
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    page.fill("input[name=name]", "Desk key")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=member, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Desk key"

    # Signed out, the next password sign-in asks for the key (still in this browser).
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/")
    page = password_sign_in(session, member.username)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.click("button:has-text('Use a security key')")
    page.wait_for_url(landing(live_server))
