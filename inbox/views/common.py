"""Helpers shared by the htmx views: access decorators, toasts, partial rendering, error text."""

import json
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from inbox.errors import InboxError
from inbox.lifecycle.away import held_for


def staff_view(view):
    """Signed-in users only. An htmx request from an ended session redirects the whole page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                current = request.htmx.current_url_abs_path or request.get_full_path()
                query = urlencode({"next": current})
                return HttpResponseClientRedirect(f"{reverse('account_login')}?{query}")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def admin_view(view):
    """Inbox admins only; everyone else gets a 404 (admin pages do not exist for staff)."""

    @staff_view
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_inbox_admin:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def is_partial(request) -> bool:
    """True for an htmx request that wants a fragment (a history restore wants the full page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def with_toasts(request, response):
    """Move pending Django messages into an ``HX-Trigger`` toast event (htmx responses only)."""
    if not request.htmx:
        return response
    toasts = [{"level": m.level_tag, "message": str(m)} for m in messages.get_messages(request)]
    if toasts:
        triggers = {}
        if response.headers.get("HX-Trigger"):
            try:
                triggers = json.loads(response.headers["HX-Trigger"])
            except ValueError:
                triggers = {response.headers["HX-Trigger"]: None}
        triggers["toast"] = toasts
        response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


def render_page(request, template, partial, context, *, status=200):
    """Render ``template`` whole, or only its ``partial`` for htmx; toasts ride on htmx answers."""
    name = f"{template}#{partial}" if partial and is_partial(request) else template
    response = render(request, name, context, status=status)
    return with_toasts(request, response)


def safe_next(request, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def error_status(request, error: InboxError) -> int:
    """htmx swaps only 2xx answers, so the error fragment goes out as 200 there."""
    return 200 if request.htmx else int(error.status)


def explain(error: InboxError, task, user) -> str:
    """Turn a lifecycle error into a sentence about what happened meanwhile."""
    if task is None or error.code == "unsupported":  # says what to do instead: keep it
        return error.message
    if task.status == "DONE":
        who = _last_actor(task, "COMPLETED")
        if who and who != user.username:
            return f"{who} completed this task meanwhile; nothing more to do here."
        return "This task is already completed."
    if task.status == "CANCELLED":
        who = _last_actor(task, "CANCELLED")
        if who and who != user.username:
            return f"{who} cancelled this task meanwhile."
        return "This task is cancelled."
    note = reassigned_note(task, user)
    if note and error.code != "validation":
        return f"{note}. It is no longer yours to work on."
    if task.status == "ASSIGNED" and task.assignee_id != user.pk and error.code != "validation":
        return f"Already claimed by {task.assignee.username}. It is no longer available to you."
    return error.message


def reassigned_note(task, user) -> str | None:
    """ "Reassigned to bob by root" when someone else (an admin, or the engine) took the task
    away from ``user``, who held it; None otherwise."""
    if task.is_terminal or task.assignee_id == user.pk:
        return None
    event = (
        task.events.filter(kind="ASSIGNED")
        .select_related("actor", "actor_source")
        .order_by("-created_at", "-id")
        .first()
    )
    data = (event.data or {}) if event else {}
    old_user = data.get("old_user") or {}
    if not event or old_user.get("id") != user.pk or event.actor_id == user.pk:
        return None
    new_user, new_group = data.get("new_user") or {}, data.get("new_group") or {}
    if new_user.get("username"):
        target = new_user["username"]
    elif new_group.get("name"):
        target = f"group {new_group['name']}"
    else:
        target = "nobody"
    return f"Reassigned to {target} by {event.actor_name}"


def away_note(task) -> str | None:
    """ "for alice, who is away" when the task's holder got it as a substitute (out of office);
    None otherwise."""
    away = held_for(task)
    return f"for {away['username']}, who is away" if away else None


def _last_actor(task, kind) -> str | None:
    event = task.events.filter(kind=kind).select_related("actor", "actor_source").last()
    return event.actor_name if event else None
