"""Saved list views, read side: which views a user may see and apply, and how a view's stored
parameters combine with a request's.

A user sees their own views, views shared with one of their groups, views shared with everyone;
admins see every view. Applying a view never widens what the viewer may see: its filters narrow
the viewer's own visible tasks (``inbox.queries.paging``). Read-only.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts.models import User
from inbox import parsing
from inbox.errors import NotFound, ValidationError
from inbox.models import ListView
from inbox.queries.filters import TaskFilters, expand_ui_params
from inbox.queries.sorting import TaskSort, check_context_name, sort_from_params

# Parameters a request may give on top of a view; paging and polling ones never stick to it.
NOT_FILTERS = (
    "bookmark",
    "stamp",
    "shown",
    "order",
    "view",
    "sort",
    "columns",
    "limit",
    "scope",
    "format",
)
MAX_COLUMNS = 12


def visible_list_views(user: User) -> QuerySet[ListView]:
    views = ListView.objects.select_related("owner").prefetch_related("groups")
    if user.is_inbox_admin:
        return views
    shared = Q(owner=user) | Q(everyone=True)
    group_ids = user.group_ids()
    if group_ids:
        shared |= Q(groups__in=group_ids)
    return views.filter(shared).distinct()


def pinned_list_views(user: User) -> list[ListView]:
    """The views in ``user``'s navigation: pinned ones they own or that are shared with them."""
    views = ListView.objects.filter(pinned=True).order_by("name", "id")
    shared = Q(owner=user) | Q(everyone=True)
    group_ids = user.group_ids()
    if group_ids:
        shared |= Q(groups__in=group_ids)
    return list(views.filter(shared).distinct()[:20])


def list_view_get(user: User, view_id) -> ListView:
    """A view ``user`` may apply; NotFound when absent or not shared with them."""
    pk = view_id if isinstance(view_id, int) else parsing.parse_id(view_id, field="view")
    view = visible_list_views(user).filter(pk=pk).first()
    if view is None:
        raise NotFound("No such view")
    return view


def view_from_params(user: User, params) -> ListView | None:
    """The view named by ``view=`` (a 400 naming ``view`` when it is not an id, 404 when the
    user may not apply it), or None."""
    raw = (params.get("view") or "").strip()
    if not raw:
        return None
    try:
        return list_view_get(user, raw)
    except NotFound:
        raise ValidationError(
            "Invalid view", fields={"view": [f"No saved view {raw[:20]!r} is shared with you."]}
        ) from None


def merged_params(view: ListView | None, params) -> QueryDict:
    """The view's filters and sort, overridden by every non-empty parameter of the request."""
    merged = QueryDict(mutable=True)
    if view is not None:
        for key, value in (view.filters or {}).items():
            merged.setlist(key, value if isinstance(value, list) else [str(value)])
        if view.sort:
            merged["sort"] = view.sort
        if view.columns:
            merged["columns"] = ",".join(view.columns)
    lists = getattr(params, "lists", None)
    items = lists() if lists else ((k, [v]) for k, v in params.items())
    for key, values in items:
        values = [v for v in values if v not in (None, "")]
        if values and key not in ("view", "bookmark", "stamp", "shown"):
            merged.setlist(key, values)
    return merged


def parse_columns(columns, *, field: str = "columns") -> list[str]:
    """Context variable names shown as list columns: a list, or comma-separated text."""
    if isinstance(columns, str):
        columns = [c for c in (part.strip() for part in columns.split(",")) if c]
    if not isinstance(columns, list):
        raise ValidationError("Invalid columns", fields={field: ["A list of context variables."]})
    if len(columns) > MAX_COLUMNS:
        raise ValidationError("Invalid columns", fields={field: [f"At most {MAX_COLUMNS}."]})
    for name in columns:
        check_context_name(name, field=field)
    return list(dict.fromkeys(columns))


@dataclass
class ListRequest:
    """What a list request asks for, after its saved view (if any) and its parameters."""

    view: ListView | None
    params: QueryDict  # merged, as a link to the same list would carry them
    filters: TaskFilters
    sort: TaskSort
    columns: list[str] = field(default_factory=list)


def list_request(
    user: User, params, *, scope: str, now: datetime, view: ListView | None = None
) -> ListRequest:
    """Parse ``view=``, the filters, ``sort=`` and ``columns=`` of a list request (web, API or
    CSV alike); bad values raise ValidationError naming the parameter. ``view``: the view
    already looked up (``list_view_get``) by a page at its own URL, instead of ``view=``."""
    if view is None:
        view = view_from_params(user, params)
    merged = merged_params(view, params)
    filters = TaskFilters.from_params(expand_ui_params(merged, now))
    sort = sort_from_params(merged, scope)
    raw_columns = merged.get("columns")
    columns = parse_columns(raw_columns) if raw_columns else list(view.columns if view else [])
    return ListRequest(view=view, params=merged, filters=filters, sort=sort, columns=columns)
