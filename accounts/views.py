"""The signed-in user's profile: the time zone times are shown in, and their absences (out of
office: from, until, who stands in, whether to give back held tasks)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import absences
from accounts.services import user_set_time_zone
from accounts.timezones import available_zones
from inbox import lifecycle
from inbox.errors import InboxError, ValidationError


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


@login_required
def profile(request):
    """GET shows the settings; POST saves the time zone (blank: follow the browser), adds an
    absence (``add_absence``) or removes one (``delete_absence``). Bad input is a 400 with the
    message next to the field."""
    error = None
    absence_errors: dict[str, str] = {}
    absence_message = None
    status = 200
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
            error, status = str(exc), 400
        except InboxError as exc:
            status = exc.status
            absence_message = exc.message
            absence_errors = {name: " ".join(msgs) for name, msgs in exc.fields.items()}
        else:
            return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "zones": available_zones(),
            "error": error,
            "posted": request.POST.get("time_zone"),
            "absences": absences.absences_of(request.user),
            "absence_errors": absence_errors,
            "absence_message": absence_message,
            "absence_form": request.POST if "add_absence" in request.POST else {},
            "now": timezone.now(),
        },
        status=status,
    )
