"""MFA_REQUIRED_FOR_ADMINS: an inbox admin without a second factor (a TOTP app or a security
key; recovery codes alone do not count) is sent to set one up before anything else.

Pages under /accounts/ (second-factor setup, sign-out) stay reachable; session calls to the
API answer 403 naming the reason; bearer-token API calls are not sessions and pass.

htmx requests are never redirected to the setup page (htmx would follow the redirect and swap a
whole page into a fragment, the bell or the navigation counts): from a page outside /accounts/ the
answer is a client redirect of the whole page (HX-Redirect); from the setup pages themselves (their
bell and count loaders) it is 204, nothing to swap, and no second copy of the warning.
"""

from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/metrics")
WARNING = "Inbox admins need a second factor: set one up to continue."
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def needs_second_factor(user) -> bool:
    return (
        settings.MFA_REQUIRED_FOR_ADMINS
        and user.is_authenticated
        and user.is_inbox_admin
        and not Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()
    )


class RequireAdminMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(EXEMPT_PREFIXES) or request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer "):
            return self.get_response(request)
        if not needs_second_factor(request.user):
            return self.get_response(request)
        if path.startswith(settings.API_PATH_PREFIXES):
            return JsonResponse(
                {  # the API's error shape (inbox.api.errors)
                    "code": "forbidden",
                    "message": "Inbox admins must set up a second factor first: "
                    "open /accounts/2fa/ in the browser.",
                },
                status=403,
            )
        if request.headers.get("HX-Request") == "true":
            try:
                current = urlsplit(request.headers.get("HX-Current-URL", "")).path
            except ValueError:  # a forged header ("http://[x"): not a setup page
                current = ""
            if current.startswith(EXEMPT_PREFIXES):
                return HttpResponse(status=204)
            messages.warning(request, WARNING)
            return HttpResponseClientRedirect(reverse("mfa_index"))
        messages.warning(request, WARNING)
        return redirect("mfa_index")
