"""The signed-in user's profile: the time zone times are shown in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.services import user_set_time_zone
from accounts.timezones import available_zones


@login_required
def profile(request):
    """GET shows the setting; POST saves it (blank: follow the browser). A bad name is a 400
    with the message next to the field."""
    error = None
    status = 200
    if request.method == "POST":
        try:
            user_set_time_zone(user=request.user, time_zone=request.POST.get("time_zone", ""))
        except ValueError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, "Time zone saved.")
            return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {"zones": available_zones(), "error": error, "posted": request.POST.get("time_zone")},
        status=status,
    )
