"""The signed-in user's profile: the time zone times are shown in, their absences (out of
office: from, until, who stands in, whether to give back held tasks) and their API tokens (single
sign-on users have no password, so the profile is where REST clients get a token)."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts import absences
from accounts.models import ApiToken
from accounts.selectors import api_tokens_of
from accounts.services import api_token_create, api_token_revoke, user_set_time_zone
from accounts.timezones import available_zones
from inbox import lifecycle
from inbox.errors import InboxError, ValidationError

TOKEN_SCOPES = [ApiToken.Scope.FULL, ApiToken.Scope.READ]  # "create" tokens: the API
TOKEN_LIFETIMES = {"": None, "7": 7, "30": 30, "90": 90, "365": 365}


def _local_datetime(post, name: str):
    """A ``datetime-local`` value in the user's active time zone; a bad one names the field."""
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed, but no such day or hour
        value = None
    if value is None:
        raise ValidationError(
            f"{raw!r} is not a date and time.", fields={name: ["Give a date and time."]}
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _add_absence(request):
    post = request.POST
    absence = absences.absence_create(
        user=request.user,
        starts_at=_local_datetime(post, "starts_at"),
        ends_at=_local_datetime(post, "ends_at"),
        substitute=post.get("substitute", "").strip(),
        return_tasks=post.get("return_tasks") == "1",
    )
    returned = 0
    if absence.return_tasks and absence.starts_at <= timezone.now():
        returned = lifecycle.tasks_return_for_absences(user=request.user)
    note = f" {returned} task(s) went back to their groups." if returned else ""
    messages.success(request, f"Absence saved: {absence.substitute.username} stands in.{note}")


def _render(request, *, status=200, **extra):
    context = {
        "zones": available_zones(),
        "error": None,
        "posted": request.POST.get("time_zone"),
        "tokens": api_tokens_of(request.user),
        "token_scopes": [(s.value, s.label) for s in TOKEN_SCOPES],
        "absences": absences.absences_of(request.user),
        "absence_errors": {},
        "absence_message": None,
        "absence_form": request.POST if "add_absence" in request.POST else {},
        "now": timezone.now(),
        **extra,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    """GET shows the settings; POST saves the time zone (blank: follow the browser), adds an
    absence (``add_absence``) or removes one (``delete_absence``). Bad input is a 400 with the
    message next to the field."""
    if request.method == "POST":
        try:
            if "add_absence" in request.POST:
                _add_absence(request)
            elif "delete_absence" in request.POST:
                absences.absence_delete(
                    user=request.user, absence_id=request.POST["delete_absence"]
                )
                messages.success(request, "Absence removed.")
            else:
                user_set_time_zone(user=request.user, time_zone=request.POST.get("time_zone", ""))
                messages.success(request, "Time zone saved.")
        except ValueError as exc:
            return _render(request, status=400, error=str(exc))
        except InboxError as exc:
            return _render(
                request,
                status=exc.status,
                absence_message=exc.message,
                absence_errors={name: " ".join(msgs) for name, msgs in exc.fields.items()},
            )
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
