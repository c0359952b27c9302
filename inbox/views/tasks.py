"""Task lists (My tasks, Claimable, History, admin All tasks) and the inline Claim/Release row."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from inbox import lifecycle
from inbox.errors import InboxError, NotFound
from inbox.models import Source
from inbox.parsing import is_ascii_int
from inbox.queries import (
    TaskFilters,
    finished_by_others,
    holds_open_tasks,
    parse_order,
    task_page,
    task_types_after,
    visible_tasks,
)
from inbox.views.common import (
    admin_view,
    error_status,
    explain,
    is_partial,
    render_page,
    safe_next,
    staff_view,
    with_toasts,
)

LISTS = {
    "mine": {
        "title": "My tasks",
        "url": "inbox:home",
        "empty": "Nothing assigned to you. Pick something up from Claimable.",
        "statuses": (),
    },
    "claimable": {
        "title": "Claimable",
        "url": "inbox:claimable",
        "empty": "No open tasks in your groups right now.",
        "statuses": (),
    },
    "history": {
        "title": "History",
        "url": "inbox:history",
        "empty": "You have not completed or cancelled anything yet.",
        "statuses": ("DONE", "CANCELLED"),
        "order": "newest",
    },
    "all": {
        "title": "All tasks",
        "url": "inbox:admin_tasks",
        "empty": "No task matches these filters.",
        "statuses": ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED"),
    },
}
DUE_CHOICES = {
    "overdue": "Overdue",
    "today": "Due within 24 h",
    "week": "Due within 7 days",
}
POLL_SECONDS = 4


def _filter_params(request) -> QueryDict:
    """Translate the UI's friendly parameters (due preset, context key/value) for TaskFilters."""
    params = request.GET.copy()
    for key in ("bookmark", "stamp", "shown", "order"):
        params.pop(key, None)
    now = timezone.now()
    due = params.pop("due", [""])[-1]
    if due == "overdue":
        params["due_before"] = now.isoformat()
    elif due == "today":
        params["due_after"], params["due_before"] = (
            now.isoformat(),
            (now + timedelta(1)).isoformat(),
        )
    elif due == "week":
        params["due_after"], params["due_before"] = (
            now.isoformat(),
            (now + timedelta(7)).isoformat(),
        )
    key = params.pop("ctx_key", [""])[-1].strip()
    value = params.pop("ctx_value", [""])[-1]
    if key:
        params[f"context__{key}"] = value
    return params


def _clean_query(request) -> str:
    """The current filters as a query string, without paging and polling parameters."""
    params = request.GET.copy()
    for key in ("bookmark", "stamp", "shown", "order"):
        params.pop(key, None)
    for key in [k for k, v in params.lists() if not any(v)]:
        params.pop(key)
    return params.urlencode()


def page_stamp(tasks) -> str:
    """A fingerprint of a page: its task ids and versions. Equal stamps mean nothing changed."""
    digest = hashlib.sha1(usedforsecurity=False)
    for task in tasks:
        digest.update(f"{task.pk}:{task.version};".encode())
    return digest.hexdigest()[:20]


def task_types() -> list[str]:
    """Distinct task types for the filter's suggestions, cached for a minute."""
    types = cache.get("inbox:task_types")
    if types is None:
        types = task_types_after(limit=200)
        cache.set("inbox:task_types", types, 60)
    return types


def _task_list(request, scope: str):
    spec = LISTS[scope]
    user = request.user
    filter_error = None
    page_size = settings.INBOX_PAGE_SIZE
    limit = page_size
    polling = "stamp" in request.GET and is_partial(request)
    if polling:
        raw_shown = request.GET.get("shown")
        shown = int(raw_shown) if is_ascii_int(raw_shown) else page_size
        limit = max(page_size, min(shown, settings.INBOX_MAX_PAGE_SIZE))
    try:
        filters = TaskFilters.from_params(_filter_params(request))
        page = task_page(
            user,
            scope=scope,
            filters=filters,
            limit=limit,
            bookmark=request.GET.get("bookmark"),
            newest_first=parse_order(request.GET, spec.get("order", "oldest")),
        )
    except InboxError as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        filter_error = f"{error.message}. {problems}" if problems else error.message
        page = task_page(user, scope=scope, filters=None, limit=0)
    if scope == "history" and page.tasks:  # an admin's override is not shown as yours
        others = finished_by_others(user, [t.pk for t in page.tasks])
        for task in page.tasks:
            task.finished_by = others.get(task.pk, "")
    stamp = page_stamp(page.tasks)
    if polling and request.GET.get("stamp") == stamp:
        response = HttpResponse(status=204)  # nothing changed: htmx leaves the list alone
        response["ETag"] = f'"{stamp}"'
        return response
    query = _clean_query(request)
    groups = (
        list(user.groups.order_by("name").values_list("name", flat=True)) if scope != "all" else []
    )
    context = {
        "scope": scope,
        "spec": spec,
        "title": spec["title"],
        "page": page,
        "stamp": stamp,
        "query": query,
        "list_url": reverse(spec["url"]),
        "filter_error": filter_error,
        "f": request.GET,
        "groups": groups,
        "due_choices": DUE_CHOICES,
        "task_types": task_types(),
        "admin_list": scope == "all",
        "sources": list(Source.objects.values_list("name", flat=True)) if scope == "all" else [],
        "poll_seconds": POLL_SECONDS,
        "now": timezone.now(),
    }
    partial = "more" if request.GET.get("bookmark") else "list"
    response = render_page(request, "inbox/task_list.html", partial, context)
    response["ETag"] = f'"{stamp}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view
def home(request):
    """My tasks: what the signed-in user holds. Any signed-in user.

    An admin in no group who holds nothing lands on All tasks instead (an empty My tasks
    pointing at a Claimable they have no groups for helps nobody)."""
    user = request.user
    if (
        user.is_inbox_admin
        and not user.group_ids()
        and not request.GET
        and not request.htmx
        and not holds_open_tasks(user)
    ):
        return redirect("inbox:admin_tasks")
    return _task_list(request, "mine")


@staff_view
def claimable(request):
    """Unassigned tasks of the user's groups (optionally one group). Any signed-in user."""
    return _task_list(request, "claimable")


@staff_view
def history(request):
    """The user's completed and cancelled tasks. Any signed-in user."""
    return _task_list(request, "history")


@admin_view
def admin_tasks(request):
    """Every task, every filter, bulk assign/cancel. Inbox admins only."""
    return _task_list(request, "all")


def _row_task(user, task_id):
    return (
        visible_tasks(user)
        .select_related("assignee", "group", "case", "source")
        .filter(pk=task_id)
        .first()
    )


def _belongs_in(scope: str, task, user) -> bool:
    """Whether ``task`` still has a row in the ``scope`` list after a row action."""
    if scope == "mine":
        return task.assignee_id == user.pk and not task.is_terminal
    return True


@staff_view
@require_POST
def task_row(request, task_id):
    """Claim or Release from a list row (named buttons ``claim``/``release``); the row swaps in
    place. Anyone who can see the task; the lifecycle decides who may do what."""
    scope = request.POST.get("scope") if request.POST.get("scope") in LISTS else "mine"
    row_error = None
    try:
        if "claim" in request.POST:
            task = lifecycle.task_claim(task_id=task_id, user=request.user)
            messages.success(request, f"Claimed “{task.title}”.")
        elif "release" in request.POST:
            task = lifecycle.task_release(task_id=task_id, user=request.user)
            messages.success(request, f"Released “{task.title}” back to its group.")
        else:
            raise Http404("Unknown action")
    except NotFound:
        raise Http404("No such task") from None
    except InboxError as error:
        current = _row_task(request.user, task_id)
        row_error = explain(error, current, request.user)
        if not request.htmx:
            messages.error(request, row_error)
    if not request.htmx:
        return redirect(safe_next(request, reverse(LISTS[scope]["url"])))
    task = _row_task(request.user, task_id)
    if task is None or (row_error is None and not _belongs_in(scope, task, request.user)):
        # a task Released from My tasks leaves the list at once, rather than offering Claim
        # until the next refresh (a task Claimed in Claimable keeps its row, with Release to undo)
        return with_toasts(request, HttpResponse(""))
    context = {
        "task": task,
        "scope": scope,
        "admin_list": scope == "all",
        "row_error": row_error,
        "now": timezone.now(),
        "next": safe_next(request, reverse(LISTS[scope]["url"])),
    }
    response = render(request, "inbox/task_list.html#row", context)
    if row_error:
        response.status_code = error_status(request, InboxError(row_error))
    return with_toasts(request, response)
