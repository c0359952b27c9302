"""Task lists (My tasks, Claimable, History, admin All tasks) and the inline Claim/Release row."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from inbox import lifecycle
from inbox.errors import InboxError, NotFound
from inbox.models import ListView, Source
from inbox.parsing import is_ascii_int
from inbox.queries import (
    LIST_ROW_FIELDS,
    TaskSort,
    default_sort,
    finished_by_others,
    holds_open_tasks,
    task_page,
    task_types_after,
    visible_tasks,
)
from inbox.queries.filters import DUE_PRESETS
from inbox.queries.views import list_request
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
from inbox.views.filter_form import (
    due_options,
    group_options,
    share_options,
    sort_options,
    status_options,
    type_options,
)
from inbox.views.list_links import SORT_CHOICES, clean_query, export_url, sort_headers
from inbox.views.list_rows import decorate, follow_up_column
from inbox.views.nav import forget_counts, nav_for
from inbox.views.row_html import RowPage, row_html
from inbox.views.shell import path_to

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
    "visible": {
        "title": "View",
        "url": "inbox:home",
        "empty": "No task of yours or your groups matches this view.",
        "statuses": ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED"),
    },
    "all": {
        "title": "All tasks",
        "url": "inbox:admin_tasks",
        "empty": "No task matches these filters.",
        "statuses": ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED"),
    },
}
DUE_CHOICES = DUE_PRESETS
POLL_SECONDS = 4
# The filter form's fields (task_list.html reads them as ``f.<name>``).
FORM_FIELDS = (
    *("q", "group", "status", "type", "due", "sla", "ctx_key", "ctx_value", "columns", "case"),
    *("user", "source", "created_after", "created_before", "unrouted"),
)


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


def _task_list(request, scope: str, *, view: ListView | None = None):
    """A list page; ``view``: the saved view shown at its own URL (already looked up)."""
    spec = LISTS[scope]
    view_id = view.pk if view is not None else None
    user = request.user
    filter_error = None
    page_size = settings.INBOX_PAGE_SIZE
    limit = page_size
    polling = "stamp" in request.GET and is_partial(request)
    if polling:
        raw_shown = request.GET.get("shown")
        shown = int(raw_shown) if is_ascii_int(raw_shown) else page_size
        limit = max(page_size, min(shown, settings.INBOX_MAX_PAGE_SIZE))
    wanted = None
    whole = not is_partial(request)  # the shell and filter form too: the user's groups with the ids
    along = [user.group_choices_query()] if whole and scope != "all" else []
    try:
        wanted = list_request(user, request.GET, scope=scope, now=timezone.now(), view=view)
        page = task_page(
            user,
            scope=scope,
            filters=wanted.filters,
            limit=limit,
            bookmark=request.GET.get("bookmark"),
            sort=wanted.sort,
            row_fields=LIST_ROW_FIELDS,
            along=along,
        )
    except NotFound:
        raise Http404("No such view") from None
    except InboxError as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        filter_error = f"{error.message}. {problems}" if problems else error.message
        page = task_page(user, scope=scope, filters=None, limit=0, along=along)
    view = wanted.view if wanted else view
    columns = wanted.columns if wanted else []
    sort = wanted.sort if wanted else default_sort(scope)
    if scope == "history" and page.tasks:  # an admin's override is not shown as yours
        others = finished_by_others(user, [t.pk for t in page.tasks])
        for task in page.tasks:
            task.finished_by = others.get(task.pk, "")
    stamp = page_stamp(page.tasks)
    if polling and request.GET.get("stamp") == stamp:
        response = HttpResponse(status=204)  # nothing changed: htmx leaves the list alone
        response["ETag"] = f'"{stamp}"'
        return response
    decorate(page.tasks, columns)
    with_follow_up = follow_up_column(request.GET, sort, page.tasks)
    token = get_token(request)  # one masked CSRF token for the rows' forms and the shell's
    rows = _row_page(request, scope, request.get_full_path(), follow_up=with_follow_up, token=token)
    rows_html = mark_safe("".join([row_html(task, rows) for task in page.tasks]))  # noqa: S308
    query = clean_query(request)
    list_url = path_to("inbox:view", view_id) if view_id else path_to(spec["url"])
    headers = sort_headers(request, list_url, sort, columns)
    context = {  # what the list fragment (and Load more, part of it) shows
        "scope": scope,
        "spec": spec,
        "page": page,
        "rows_html": rows_html,  # every row, built in Python (row_html.py), already escaped
        "stamp": stamp,
        "query": query,
        "list_url": list_url,
        "export_url": export_url(scope, query, view_id),
        "filter_error": filter_error,
        "admin_list": scope == "all",
        "poll_seconds": str(POLL_SECONDS),  # a str: the template localizes an int
        "now": timezone.now(),
        "columns": columns,
        "sort": sort,
        "sort_headers": headers,
        "column_heads": [{"name": c, **headers[f"context__{c}"]} for c in columns],
        "follow_up_column": with_follow_up,
        "bookmarked": bool(request.GET.get("bookmark")),  # "Back to the first page"
        "colspan": len(columns) + 13 + with_follow_up,  # the Load more row spans every column
    }
    if whole:
        groups = [tuple(row) for row in page.along[0]] if along else []
        context |= _page_context(request, scope, view, view_id, wanted, sort, groups)
        context["csrf_token"] = token  # else the csrf context processor masks another
    partial = "more" if request.GET.get("bookmark") else "list"
    response = render_page(request, "inbox/task_list.html", partial, context)
    response["ETag"] = f'"{stamp}"'
    response["Cache-Control"] = "no-store"
    return response


def _page_context(request, scope: str, view, view_id, wanted, sort: TaskSort, groups) -> dict:
    """What only a whole list page shows around the list: title, filter form (its fields,
    option lists and the user's ``groups``: (id, name) by name, read with the page's ids), the
    save-view form, the nav's counts. An htmx fragment (the list after a filter change, Load
    more, a poll) needs none of it, so it reads no groups and builds no options."""
    user = request.user
    spec = LISTS[scope]
    params = wanted.params if wanted else request.GET
    # the form's fields as a plain dict: a template lookup of a missing QueryDict key costs a
    # dir() of it, and most fields are empty on most pages
    f = {name: params.get(name, "") for name in FORM_FIELDS}
    nav = nav_for(user)
    groups = [{"pk": pk, "name": name, "count": nav.group(pk)} for pk, name in groups]
    counted = nav.counted_list(scope, view)
    return {
        "nav": nav,  # the shell's nav: computed here already, not again by the context processor
        "title": view.name if view_id and view else spec["title"],
        "view": view,
        "f": f,
        "groups": groups,
        "options": {  # the filter form's <option> lists (filter_form.py)
            "group": group_options(groups, f.get("group")),
            "status": status_options(spec["statuses"], f.get("status")),
            "type": type_options(task_types()),
            "sort": sort_options(
                SORT_CHOICES,
                str(sort),
                history=scope == "history",
                searching=bool(wanted and wanted.filters.q),
                sort=sort,
            ),
            "due": due_options(DUE_CHOICES, f.get("due")),
            "share": share_options(groups, [g.name for g in view.groups.all()] if view else []),
        },
        "sources": list(Source.objects.values_list("name", flat=True)) if scope == "all" else [],
        "sort_value": str(sort),
        "can_edit_view": bool(view and (view.owner_id == user.pk or user.is_inbox_admin)),
        "is_admin": user.is_inbox_admin,  # plain: not through the request's lazy user
        "searching": bool(wanted and wanted.filters.q),
        "list_counted": bool(counted),
        "list_count": _list_count(nav, scope, view),
        # the counts fragment's URL when the counts were not cached (base.html's loader)
        "nav_loader_url": nav.loader_url(
            groups=[g["pk"] for g in groups] if scope in ("mine", "claimable") else (),
            list_name=counted,
        )
        if not nav.ready
        else "",
    }


def _row_page(
    request, scope: str, next_url: str, *, follow_up: bool = False, token: str | None = None
) -> RowPage:
    csrf_input = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token or get_token(request)
    )
    return RowPage(scope, scope == "all", request.user.pk, csrf_input, next_url, follow_up)


def _list_count(nav, scope: str, view) -> str | None:
    """The open-task count of this list when the navigation has it (no extra query)."""
    if view is not None:
        return nav.view(view.pk)
    if scope == "mine":
        return nav.mine
    if scope == "claimable":
        return nav.claimable
    return None


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
    claimed = None  # the claim's own task (with its source, group and case): no re-read
    try:
        if "claim" in request.POST:
            claimed = lifecycle.task_claim(task_id=task_id, user=request.user)
            messages.success(request, f"Claimed “{claimed.title}”.")
        elif "release" in request.POST:
            task = lifecycle.task_release(task_id=task_id, user=request.user)
            messages.success(request, f"Released “{task.title}” back to its group.")
        else:
            raise Http404("Unknown action")
        forget_counts(request.user)  # their My tasks / Claimable counts just changed
    except NotFound:
        raise Http404("No such task") from None
    except InboxError as error:
        current = _row_task(request.user, task_id)
        row_error = explain(error, current, request.user)
        if not request.htmx:
            messages.error(request, row_error)
    next_url = safe_next(request, reverse(LISTS[scope]["url"]))
    if not request.htmx:
        return redirect(next_url)
    task = claimed or _row_task(request.user, task_id)
    if task is None or (row_error is None and not _belongs_in(scope, task, request.user)):
        # a task Released from My tasks leaves the list at once, rather than offering Claim
        # until the next refresh (a task Claimed in Claimable keeps its row, with Release to undo)
        return with_toasts(request, HttpResponse(""))
    decorate([task], [])
    row_page = _row_page(
        request,
        scope,
        next_url,
        follow_up=request.POST.get("follow_up_column") == "1",
    )
    # The row's whole HTML, built once in Python (the ``row`` partial of task_list.html is only
    # ``{{ task.html }}``): no template, context or context processors for one row.
    response = HttpResponse(row_html(task, row_page, row_error))
    if row_error:
        response.status_code = error_status(request, InboxError(row_error))
    return with_toasts(request, response)
