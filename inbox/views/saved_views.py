"""Saved views in the browser: a view's page (its stable URL ``/views/<id>/``), saving the
current list's filters, sort and columns as a view (or changing the one shown), deleting it.

Anyone signed in may open a view shared with them; the rules of who may save, share and change
live in ``inbox.listviews``, whose errors come back as messages on the list.
"""

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from inbox import listviews
from inbox.errors import Forbidden, InboxError, NotFound
from inbox.queries.views import NOT_FILTERS, list_view_get
from inbox.views.common import safe_next, staff_view
from inbox.views.tasks import LISTS, _task_list


@staff_view
def view_page(request, view_id: int):
    """A saved view applied to the signed-in user's own visible tasks."""
    try:
        view = list_view_get(request.user, view_id)
    except NotFound:
        raise Http404("No such view") from None
    return _task_list(request, "visible", view=view)


def _data_from_form(request) -> dict:
    query = QueryDict(request.POST.get("query", ""))
    filters = {}
    for key, values in query.lists():
        values = [v for v in values if v]
        if key in NOT_FILTERS or key.startswith("csrf") or not values:
            continue
        filters[key] = values if len(values) > 1 else values[0]
    data = {
        "name": request.POST.get("name", ""),
        "filters": filters,
        "sort": query.get("sort", ""),
        "columns": query.get("columns", ""),
        "pinned": request.POST.get("pinned") == "1",
        "groups": request.POST.getlist("groups"),
    }
    if request.user.is_inbox_admin or request.POST.get("everyone"):
        data["everyone"] = request.POST.get("everyone") == "1"
    return data


@staff_view
@require_POST
def view_save(request):
    """Save the list's current parameters as a new view, or into the view shown (its owner or an
    admin). The current view's own filters are kept under the ones given on top of it."""
    data = _data_from_form(request)
    view_id = request.POST.get("view_id")
    back = safe_next(request, reverse(LISTS.get(request.POST.get("scope"), LISTS["mine"])["url"]))
    base_id = request.POST.get("base_view") or view_id
    try:
        if base_id:
            base = list_view_get(request.user, base_id)
            data["filters"] = {**base.filters, **data["filters"]}
            data["sort"] = data["sort"] or base.sort
            data["columns"] = data["columns"] or base.columns
        if view_id:
            view = listviews.view_update(user=request.user, view_id=view_id, data=data)
            messages.success(request, f"Saved the view “{view.name}”.")
        else:
            view = listviews.view_create(user=request.user, data=data)
            messages.success(request, f"Saved the view “{view.name}”.")
    except NotFound:
        raise Http404("No such view") from None
    except (Forbidden, InboxError) as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        messages.error(request, f"{error.message}. {problems}" if problems else error.message)
        return redirect(back)
    return redirect(reverse("inbox:view", args=[view.pk]))


@staff_view
@require_POST
def view_delete(request, view_id: int):
    try:
        listviews.view_delete(user=request.user, view_id=view_id)
    except NotFound:
        raise Http404("No such view") from None
    except InboxError as error:
        messages.error(request, error.message)
        return redirect(reverse("inbox:view", args=[view_id]))
    messages.success(request, "Deleted the view.")
    return redirect(reverse("inbox:home"))
