"""Saved list views, read side: which views a user may see and apply, and how a view's stored
parameters combine with a request's.

A user sees their own views, views shared with one of their groups, views shared with everyone;
admins see every view. Applying a view never widens what the viewer may see: its filters narrow
the viewer's own visible tasks (``inbox.queries.paging``). Read-only.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import Group
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts.models import User
from config.compiled import CompiledRead, prepared_cursor
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


# A view by id with its owner (select_related), compiled once, prepared once per connection.
_VIEW_BY_PK = CompiledRead(
    lambda pk: ListView.objects.select_related("owner").filter(pk=pk),
    keys=(1, 2),
    key_field=ListView._meta.pk,
)


def list_view_get(user: User, view_id) -> ListView:
    """A view ``user`` may apply (owner selected, groups prefetched, as ``visible_list_views``
    gives it); NotFound when absent or not shared with them.

    The same rule as ``visible_list_views``, checked on the view's own row and groups: two
    statements written once (``_VIEW_BY_PK``, ``_view_groups``) instead of building and
    compiling that queryset and its prefetch on every page of a view (1.7 ms of CPU, more than
    the page's own SQL)."""
    pk = view_id if isinstance(view_id, int) else parsing.parse_id(view_id, field="view")
    view = _VIEW_BY_PK.first(pk)
    if view is None:
        raise NotFound("No such view")
    groups = _view_groups(view)
    if not (
        user.is_inbox_admin
        or view.owner_id == user.pk
        or view.everyone
        or not set(user.group_ids()).isdisjoint(g.pk for g in groups)
    ):
        raise NotFound("No such view")
    # what prefetch_related("groups") leaves on the instance (QuerySet.prefetch_one_level)
    manager = view.groups
    groups_qs = manager.get_queryset()
    groups_qs._result_cache = groups
    groups_qs._prefetch_done = True
    view._prefetched_objects_cache = {manager.prefetch_cache_name: groups_qs}
    return view


def _view_groups(view: ListView) -> list[Group]:
    """The groups ``view`` is shared with: one prepared statement written once."""
    connection = connections[router.db_for_read(ListView)]
    quote = connection.ops.quote_name
    through = ListView.groups.through._meta
    sql = (
        f"SELECT g.{quote('id')}, g.{quote('name')} FROM {quote(Group._meta.db_table)} g "
        f"JOIN {quote(through.db_table)} lg ON lg.{quote('group_id')} = g.{quote('id')} "
        f"WHERE lg.{quote('listview_id')} = %s"
    )
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [view.pk])
        rows = cursor.fetchall()
    return [Group.from_db(connection.alias, ["id", "name"], row) for row in rows]


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
