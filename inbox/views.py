"""htmx pages and fragments (function-based views)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from inbox.queries import task_page


@login_required
def home(request):
    page = task_page(request.user, scope="mine", limit=50)
    return render(request, "inbox/home.html", {"page": page})
