"""allauth's ``openid_connect`` provider, stricter: every ID token's signature is checked against
the issuer's keys and its ``nonce`` against the one this sign-in sent.

allauth skips both in the authorization-code flow (the token came straight from the token
endpoint over TLS, which the spec allows); a misconfigured proxy or plain-http issuer makes that
assumption wrong, so the inbox always checks. Registered through
``SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"]``; the callback URL routes to
``callback`` below (config/urls.py puts it before allauth's own).
"""

import secrets

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404


class NonceMismatch(OAuth2Error):
    """The ID token's nonce is not the one this browser's sign-in sent."""


class VerifyingOIDCAdapter(OpenIDConnectOAuth2Adapter):
    expected_nonce: str | None = None

    def _decode_id_token(self, app, id_token: str) -> dict:
        data = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        if not self.expected_nonce or not secrets.compare_digest(
            str(data.get("nonce", "")), self.expected_nonce
        ):
            raise NonceMismatch("The ID token's nonce does not match this sign-in.")
        return data


class InboxOpenIDConnectProvider(OpenIDConnectProvider):
    oauth2_adapter_class = VerifyingOIDCAdapter

    @classmethod
    def get_package(cls):
        # allauth finds the provider's URLs and templates by package.
        return "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """Send a fresh nonce with the authorization request and keep it in the sign-in's
        state (the session), to compare with the ID token's."""
        nonce = secrets.token_urlsafe(24)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )


class _CallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.expected_nonce = (state or {}).get("nonce")
        return state, response


@login_not_required
def callback(request, provider_id):
    try:
        view = _CallbackView.adapter_view(VerifyingOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
