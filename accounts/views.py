"""The signed-in user's profile: the time zone times are shown in, and their API tokens
(single sign-on users have no password, so the profile is where REST clients get a token)."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from accounts.selectors import api_tokens_of
from accounts.services import api_token_create, api_token_revoke, user_set_time_zone
from accounts.timezones import available_zones

TOKEN_SCOPES = [ApiToken.Scope.FULL, ApiToken.Scope.READ]  # "create" tokens: the API
TOKEN_LIFETIMES = {"": None, "7": 7, "30": 30, "90": 90, "365": 365}


def _render(request, *, status=200, **extra):
    context = {
        "zones": available_zones(),
        "error": None,
        "posted": request.POST.get("time_zone"),
        "tokens": api_tokens_of(request.user),
        "token_scopes": [(s.value, s.label) for s in TOKEN_SCOPES],
        "now": timezone.now(),
        **extra,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    """GET shows the settings; POST saves the time zone (blank: follow the browser). A bad
    name is a 400 with the message next to the field."""
    if request.method == "POST":
        try:
            user_set_time_zone(user=request.user, time_zone=request.POST.get("time_zone", ""))
        except ValueError as exc:
            return _render(request, status=400, error=str(exc))
        messages.success(request, "Time zone saved.")
        return redirect("profile")
    return _render(request)


@login_required
@require_POST
def token_create(request):
    """A new token for the signed-in user; its secret is shown on this answer only. A bad
    scope or lifetime is a 400 naming the field."""
    name = request.POST.get("name", "").strip()
    scope = request.POST.get("scope", ApiToken.Scope.FULL)
    days = request.POST.get("expires_in_days", "")
    errors = {}
    if len(name) > 100:
        errors["name"] = "At most 100 characters."
    if scope not in {s.value for s in TOKEN_SCOPES}:
        errors["scope"] = "Choose full or read-only."
    if days not in TOKEN_LIFETIMES:
        errors["expires_in_days"] = "Choose one of the listed lifetimes."
    if errors:
        return _render(request, status=400, token_errors=errors)
    lifetime = TOKEN_LIFETIMES[days]
    token, raw = api_token_create(
        user=request.user,
        name=name,
        scope=scope,
        expires_at=timezone.now() + timedelta(days=lifetime) if lifetime else None,
    )
    return _render(request, new_token=raw, new_token_row=token)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("profile")


def admin_login(request):
    """The Django admin's sign-in: its password form, unless local passwords are off
    (LOCAL_PASSWORDS=false), then the inbox's sign-in page with its SSO buttons."""
    if settings.LOCAL_PASSWORDS:
        return admin.site.login(request)
    return redirect_to_login(request.GET.get("next", "/django-admin/"))
