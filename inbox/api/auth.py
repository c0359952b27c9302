"""Bearer-token authentication for REST clients (``Authorization: Bearer <token>``).

Tokens are stored hashed (``accounts.services.api_token_lookup``). ``last_used_at`` is written at
most once a minute per token, with a single UPDATE, so busy clients do not write on every call.
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.services import api_token_lookup
from inbox.errors import Forbidden

LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer inbox_...``; a missing header leaves the request anonymous."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Bearer <token>'."
            )
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = api_token_lookup(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        _touch(token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to anonymous requests.
        return 'Bearer realm="api"'


def check_token_scope(request, view) -> None:
    """A ``read`` token only reads; a ``create`` token reads and creates tasks (on views that
    set ``allows_creator_tokens``); a ``full`` token acts as its user."""
    token = request.auth
    if not isinstance(token, ApiToken) or token.scope == ApiToken.Scope.FULL:
        return
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if token.scope == ApiToken.Scope.CREATE and request.method == "POST":
        if getattr(view, "allows_creator_tokens", False):
            return
        raise Forbidden("This token may only read and create tasks.")
    raise Forbidden("This token is read-only.")


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "inbox.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `python manage.py create_api_token <username>` "
            "or `POST /api/v1/me/tokens/`.",
        }
