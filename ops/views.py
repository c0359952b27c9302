"""The operations dashboard page and its CSV downloads (admins, and a team view for members).

Reads ``ops.stats``: the rollups only, unless a list filter the rollups cannot answer is given
(then the matching tasks, bounded by the window)."""

import csv
from urllib.parse import urlencode

from django.contrib.auth.models import Group
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from inbox.errors import NotFound, ValidationError
from inbox.models import Source
from inbox.views.common import staff_view
from ops.dashboard import CHART_KEYS, build_charts
from ops.filters import (
    ALL_STATUSES,
    CONTEXT_PREFIX,
    DUE_CHOICES,
    LIST_FILTERS,
    OPEN_ONLY_NOTE,
    WINDOW_CHOICES,
    StatsFilters,
)
from ops.stats import dashboard_stats, scope_for

OPEN_STATUS_CHOICES = [s for s in ALL_STATUSES if s in ("UNASSIGNED", "ASSIGNED")]
FORM_FIELDS = (
    "group",
    "type",
    "source",
    "days",
    "status",
    "due",
    "unrouted",
    "user",
    "q",
    "ctx_key",
    "ctx_value",
    "created_after",
    "created_before",
)


def _list_link(request, is_admin: bool) -> str:
    """The task list with the page's filters (every one: the list answers them all)."""
    params = request.GET.copy()
    params.pop("days", None)
    for key in [k for k, v in params.lists() if not any(v)]:
        params.pop(key)
    url = reverse("inbox:admin_tasks" if is_admin else "inbox:claimable")
    return f"{url}?{params.urlencode()}" if params else url


def _stats_or_error(request):
    try:
        filters = StatsFilters.from_params(request.GET)
        return filters, dashboard_stats(request.user, filters), None
    except NotFound as error:
        raise Http404(error.message) from error
    except ValidationError as error:
        return None, None, error


@staff_view
def dashboard(request):
    filters, stats, error = _stats_or_error(request)
    scope = scope_for(request.user)
    groups = Group.objects.order_by("name")
    if scope.group_ids is not None:
        groups = groups.filter(pk__in=scope.group_ids)
    context = {
        "groups": list(groups.values_list("name", flat=True)[:500]),
        "sources": list(Source.objects.order_by("name").values_list("name", flat=True)),
        "window_choices": WINDOW_CHOICES,
        "f": {k: request.GET.get(k, "") for k in FORM_FIELDS},
        # List filters the form has no field for (a list's query string): kept as they came.
        "kept": [
            (k, v)
            for k, v in request.GET.items()
            if k not in FORM_FIELDS and (k in LIST_FILTERS or k.startswith(CONTEXT_PREFIX))
        ],
        "status_choices": OPEN_STATUS_CHOICES,
        "due_choices": DUE_CHOICES,
        "is_admin": scope.is_admin,
        "list_link": _list_link(request, scope.is_admin),
    }
    if error is not None:
        context["error"] = error
        return render(request, "ops/dashboard.html", context, status=400)
    query = urlencode(filters.as_params())
    context.update(
        stats=stats,
        charts=build_charts(stats),
        query=query,
        durations=stats["durations"],
        open_only_note=OPEN_ONLY_NOTE if filters.narrows_open_only() else "",
    )
    return render(request, "ops/dashboard.html", context)


@staff_view
def dashboard_csv(request, chart):
    if chart not in CHART_KEYS:
        raise Http404("No such chart")
    filters, stats, error = _stats_or_error(request)
    if error is not None:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        return HttpResponse(f"{error.message}: {fields}\n", status=400, content_type="text/plain")
    by_key = {c.key: c for c in build_charts(stats, with_svg=False)}
    if chart not in by_key:  # the sources chart is for admins only
        raise Http404("No such chart")
    spec = by_key[chart]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chart}.csv"'
    writer = csv.writer(response)
    writer.writerow([heading for _, heading in spec.columns])
    for row in spec.table():
        writer.writerow(["" if v is None else v for v in row])
    return response
