"""allauth's socialaccount adapter for the inbox.

* People signing in through a configured IdP get an account on first sign-in (the inbox has no
  public sign-up, but the IdP decides who may come in).
* Before the sign-in completes, the groups claim is checked (``pre_social_login``): a malformed
  one refuses the sign-in with a page naming it, and nothing is written.
* After it completes (``user_logged_in``, connected in accounts.apps), groups are synced.
* Failed sign-ins (bad state, nonce, signature, issuer, expiry) are logged with their cause; the
  page (templates/socialaccount/authentication_error.html) says what was wrong.
"""

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from accounts.sso.groups import GroupClaimError, claimed_groups, provider_key, sync_groups

log = logging.getLogger(__name__)


class InboxSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        try:
            claimed_groups(sociallogin)
        except GroupClaimError as exc:
            log.warning("SSO sign-in refused: %s", exc)
            raise ImmediateHttpResponse(
                render(
                    request,
                    "socialaccount/authentication_error.html",
                    {"reason": str(exc), "provider_name": sociallogin.account.get_provider().name},
                    status=400,
                )
            ) from None

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        saml_reason = (extra_context or {}).get("saml_last_error_reason")
        if saml_reason:
            cause = f"The SAML response was refused: {saml_reason.rstrip('.')}."
        else:
            cause = describe_error(exception, error)
        log.warning("SSO sign-in through %s refused: %s", getattr(provider, "name", "?"), cause)
        if extra_context is not None:
            extra_context["reason"] = cause
            extra_context["provider_name"] = getattr(provider, "name", "")


def describe_error(exception, error) -> str:
    """A sentence for the person signing in, from allauth's error and its cause."""
    if exception is None:
        if error in (None, "unknown"):
            return (
                "The sign-in could not be matched to one started in this browser (missing or "
                "forged state). Start again from the sign-in page."
            )
        return f"The identity provider reported an error ({error})."
    cause = exception.__cause__
    text = f"{exception}"
    if cause is not None and str(cause):
        text = f"{text}: {cause}"
    return text.rstrip(".") + "."


def on_user_logged_in(sender, request, user, **kwargs):
    """Apply the IdP's groups at every SSO sign-in (``allauth.account.signals.user_logged_in``)."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        return
    provider = provider_key(sociallogin)
    added, removed = sync_groups(user=user, provider=provider, values=claimed_groups(sociallogin))
    if added or removed:
        log.info(
            "SSO %s: %s groups +%s -%s", provider, user.username, sorted(added), sorted(removed)
        )
