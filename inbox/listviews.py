"""Saved list views, write side: create, change and delete a view (DESIGN §3 ``listviews``).

Rules: anyone signed in saves views of their own; only the owner or an inbox admin changes or
deletes a view (others who can see it get Forbidden, others NotFound); a non-admin may share
only with groups they are in; only admins share with everyone. Every bad value is a
ValidationError naming its field. Each call is one transaction; nothing here touches tasks.
"""

from typing import Any

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox import parsing
from inbox.errors import Forbidden, ValidationError
from inbox.models import ListView
from inbox.queries import TaskFilters, TaskSort
from inbox.queries.filters import expand_ui_params
from inbox.queries.views import NOT_FILTERS, list_view_get, parse_columns

VIEWS_VERSION_KEY = "inbox:list-views-version"  # the navigation caches pinned views under it


def _views_changed() -> None:
    """Invalidate every cached navigation list of pinned views (after this transaction)."""
    transaction.on_commit(_bump_version)


def _bump_version() -> None:
    try:
        cache.incr(VIEWS_VERSION_KEY)
    except ValueError:  # not cached yet (or evicted): any new value invalidates
        cache.set(VIEWS_VERSION_KEY, 2, None)


FIELDS = ("name", "filters", "sort", "columns", "groups", "everyone", "pinned")


def _clean(user: User, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("Send a JSON object.", fields={"body": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(FIELDS))
    for key in unknown:
        errors[str(key)[:60]] = [f"Unknown field; use {', '.join(FIELDS)}."]
    clean: dict[str, Any] = {}
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = ["Give the view a name."]
        elif len(name.strip()) > 200:
            errors["name"] = ["At most 200 characters."]
        else:
            clean["name"] = parsing.clean_text(name.strip(), field="name")
    if "filters" in data:
        filters = data["filters"] if data["filters"] is not None else {}
        try:
            clean["filters"] = clean_filters(filters)
        except ValidationError as exc:
            errors.update(exc.fields or {"filters": [exc.message]})
    if "sort" in data:
        raw = data["sort"] or ""
        if not isinstance(raw, str):
            errors["sort"] = ["A sort key, e.g. -due."]
        elif raw.strip():
            try:
                clean["sort"] = str(TaskSort.parse(raw))
            except ValidationError as exc:
                errors.update(exc.fields)
        else:
            clean["sort"] = ""
    if "columns" in data:
        columns = data["columns"] if data["columns"] is not None else []
        try:
            clean["columns"] = clean_columns(columns)
        except ValidationError as exc:
            errors.update(exc.fields)
    for flag in ("everyone", "pinned"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors[flag] = ["true or false."]
            else:
                clean[flag] = data[flag]
    if clean.get("everyone") and not user.is_inbox_admin:
        errors["everyone"] = ["Only inbox admins share a view with everyone."]
    if "groups" in data:
        try:
            clean["groups"] = _clean_groups(user, data["groups"] or [])
        except ValidationError as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationError("Invalid view", fields=errors)
    return clean


def clean_filters(filters: Any) -> dict[str, Any]:
    """List parameters as stored in a view: text values, valid for ``TaskFilters``."""
    if not isinstance(filters, dict):
        raise ValidationError("Invalid filters", fields={"filters": ["An object of parameters."]})
    clean = {}
    for key, value in filters.items():
        if key in NOT_FILTERS:
            raise ValidationError(
                "Invalid filters", fields={"filters": [f"{key!r} is not a filter."]}
            )
        if isinstance(value, bool | int | float) and not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            pass
        elif not isinstance(value, str):
            raise ValidationError(
                "Invalid filters", fields={f"filters.{key}"[:80]: ["Text, or a list of text."]}
            )
        clean[key] = value
    try:
        TaskFilters.from_params(expand_ui_params(clean, timezone.now()))
    except ValidationError as exc:
        raise ValidationError(
            "Invalid filters", fields={f"filters.{k}": v for k, v in exc.fields.items()}
        ) from None
    return clean


def clean_columns(columns: Any) -> list[str]:
    return parse_columns(columns, field="columns")


def _clean_groups(user: User, names: Any) -> list[Group]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationError("Invalid groups", fields={"groups": ["A list of group names."]})
    groups = list(Group.objects.filter(name__in=names))
    missing = sorted(set(names) - {g.name for g in groups})
    if missing:
        raise ValidationError(
            "Invalid groups", fields={"groups": [f"No such group: {', '.join(missing)[:200]}."]}
        )
    if not user.is_inbox_admin:
        mine = set(user.group_ids())
        outside = sorted(g.name for g in groups if g.pk not in mine)
        if outside:
            raise ValidationError(
                "Invalid groups",
                fields={
                    "groups": [
                        f"You are not in {', '.join(outside)[:200]}; share only with "
                        "your own groups."
                    ]
                },
            )
    return groups


@transaction.atomic
def view_create(*, user: User, data: dict[str, Any]) -> ListView:
    clean = _clean(user, data, partial=False)
    groups = clean.pop("groups", [])
    view = ListView.objects.create(owner=user, **clean)
    view.groups.set(groups)
    _views_changed()
    return view


def _editable(user: User, view_id) -> ListView:
    view = list_view_get(user, view_id)
    if view.owner_id != user.pk and not user.is_inbox_admin:
        raise Forbidden("Only the view's owner or an inbox admin may change it.")
    return ListView.objects.select_for_update().get(pk=view.pk)


@transaction.atomic
def view_update(*, user: User, view_id, data: dict[str, Any]) -> ListView:
    view = _editable(user, view_id)
    clean = _clean(user, data, partial=True)
    groups = clean.pop("groups", None)
    for key, value in clean.items():
        setattr(view, key, value)
    view.updated_at = timezone.now()
    view.save()
    if groups is not None:
        view.groups.set(groups)
    _views_changed()
    return view


@transaction.atomic
def view_delete(*, user: User, view_id) -> None:
    _editable(user, view_id).delete()
    _views_changed()
