"""The admin console: bulk assign/cancel, user and group pickers, users & groups, task types,
sources with "Sync now", "Add source" and "Edit" (credentials write-only). Inbox admins only;
everyone else gets a 404."""

import json
import uuid

from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from inbox import lifecycle
from inbox import sources as source_service
from inbox.errors import InboxError, ValidationError
from inbox.models import OPEN_STATUSES, OutboxCommand, Source, UserTask
from inbox.queries import capped_task_count
from inbox.views.common import admin_view, error_status, render_page, safe_next, with_toasts

PICKER_LIMIT = 20
BULK_LIMIT = 500


@admin_view
@require_POST
def admin_bulk(request):
    """Assign or cancel the selected tasks (named buttons ``assign``/``cancel``), one by one,
    reporting each task's outcome."""
    ids = request.POST.getlist("task")[:BULK_LIMIT]
    user_name = request.POST.get("user", "").strip()
    group_name = request.POST.get("group", "").strip()
    reason = request.POST.get("reason", "").strip()
    outcomes = []
    form_error = None
    if not ids:
        form_error = "Select at least one task first."
    elif "assign" in request.POST and not (user_name or group_name):
        form_error = "Name a user or a group to assign to."
    elif "cancel" in request.POST and not reason:
        form_error = "Give a reason for cancelling."
    elif "assign" not in request.POST and "cancel" not in request.POST:
        form_error = "Choose Assign or Cancel."
    else:
        titles = _titles(ids)
        for task_id in ids:
            title = titles.get(task_id, task_id)
            try:
                if "assign" in request.POST:
                    lifecycle.task_assign(
                        task_id=task_id,
                        actor=request.user,
                        user=user_name or None,
                        group=group_name or None,
                    )
                    target = user_name or f"group {group_name}"
                    outcomes.append(
                        {"title": title, "ok": True, "message": f"assigned to {target}"}
                    )
                else:
                    lifecycle.task_admin_cancel(task_id=task_id, actor=request.user, message=reason)
                    outcomes.append({"title": title, "ok": True, "message": "cancelled"})
            except InboxError as error:
                outcomes.append({"title": title, "ok": False, "message": error.message})
    done = sum(1 for o in outcomes if o["ok"])
    failed = len(outcomes) - done
    if form_error:
        messages.error(request, form_error)
    elif failed:
        messages.warning(request, f"{done} done, {failed} not changed; see the report.")
    else:
        messages.success(request, f"{done} task{'s' if done != 1 else ''} updated.")
    if not request.htmx:
        for outcome in outcomes:
            if not outcome["ok"]:
                messages.error(request, f"{outcome['title']}: {outcome['message']}")
        return redirect(safe_next(request, reverse("inbox:admin_tasks")))
    response = render(
        request,
        "inbox/task_list.html#bulk_report",
        {"outcomes": outcomes, "form_error": form_error},
    )
    response["HX-Trigger"] = '{"tasks-changed": null}'
    return with_toasts(request, response)


def _titles(ids) -> dict[str, str]:
    valid = []
    for raw in ids:
        try:
            valid.append(uuid.UUID(raw))
        except ValueError:
            continue
    return {
        str(pk): title
        for pk, title in UserTask.objects.filter(pk__in=valid).values_list("pk", "title")
    }


@admin_view
def pick_users(request):
    """``<option>``s of active users matching ``q`` (username, name or email), for a datalist."""
    q = (request.GET.get("user") or request.GET.get("q") or "").strip()
    users = User.objects.filter(is_active=True)
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    options = [
        (u.username, u.get_full_name() or u.email)
        for u in users.order_by("username")[:PICKER_LIMIT]
    ]
    return render(request, "inbox/admin_pickers.html", {"options": options})


@admin_view
def pick_groups(request):
    """``<option>``s of groups matching ``q``, for a datalist."""
    q = (request.GET.get("group") or request.GET.get("q") or "").strip()
    groups = Group.objects.filter(name__icontains=q) if q else Group.objects.all()
    options = [(g.name, "") for g in groups.order_by("name")[:PICKER_LIMIT]]
    return render(request, "inbox/admin_pickers.html", {"options": options})


@admin_view
def admin_users(request):
    """Users & groups: members of each group and open task counts."""
    q = request.GET.get("q", "").strip()
    groups = Group.objects.annotate(
        unassigned=capped_task_count("group_id", '"auth_group"."id"', "UNASSIGNED"),
        in_progress=capped_task_count("group_id", '"auth_group"."id"', "ASSIGNED"),
    ).order_by("name")
    users = (
        User.objects.prefetch_related("groups")
        .annotate(open_tasks=capped_task_count("assignee_id", '"accounts_user"."id"', "ASSIGNED"))
        .order_by("username")
    )
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(email__icontains=q) | Q(groups__name__icontains=q)
        ).distinct()
        groups = groups.filter(name__icontains=q)
    users = list(users[:200])
    members = {}
    for user in users:
        for group in user.groups.all():
            members.setdefault(group.pk, []).append(user.username)
    groups = list(groups[:200])
    for group in groups:
        group.member_names = members.get(group.pk, [])
    member_counts = dict(
        User.groups.through.objects.filter(group__in=groups)
        .values_list("group")
        .annotate(n=Count("id"))
        .values_list("group", "n")
    )
    for group in groups:
        group.member_count = member_counts.get(group.pk, 0)
    return render_page(
        request, "inbox/admin_users.html", "tables", {"users": users, "groups": groups, "q": q}
    )


@admin_view
def admin_task_types(request):
    """Task types: how many of each are open and done, their groups and form fields.

    The counts read every task, so they are computed at most once a minute.
    """
    rows = cache.get("inbox:task_type_counts")
    if rows is None:
        rows = _task_type_counts()
        cache.set("inbox:task_type_counts", rows, 60)
    return render_page(request, "inbox/admin_task_types.html", None, {"rows": rows})


def _task_type_counts() -> list[dict]:
    rows = list(
        UserTask.objects.order_by()
        .values("task_type")
        .annotate(
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            done=Count("id", filter=Q(status="DONE")),
            cancelled=Count("id", filter=Q(status="CANCELLED")),
            first=Min("created_at"),
            last=Max("created_at"),
        )
        .order_by("task_type")
    )
    for row in rows:
        sample = (
            UserTask.objects.filter(task_type=row["task_type"])
            .order_by("-created_at")
            .only("fields", "group", "source")
            .select_related("group", "source")
            .first()
        )
        row["fields"] = sample.fields if sample else []
        row["group"] = sample.group.name if sample and sample.group else ""
        row["source"] = sample.source.name if sample else ""
    return rows


@admin_view
def admin_sources(request):
    """Sources: health, lag, last error, and "Sync now" (named button ``sync`` = source id)."""
    if request.method == "POST":
        source = Source.objects.filter(pk=_int(request.POST.get("sync"))).first()
        if source is None:
            raise Http404("No such source")
        try:
            if source_service.source_request_sync(actor=request.user, source_id=source.pk):
                messages.success(request, f"Sync of {source.name} requested.")
            else:
                messages.warning(request, "The worker queue is unreachable; the next poll retries.")
        except InboxError as error:
            messages.info(request, error.message)
        if not request.htmx:
            return redirect("inbox:admin_sources")
    now = timezone.now()
    failed = dict(
        OutboxCommand.objects.filter(status="failed")
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    pending = dict(
        OutboxCommand.objects.filter(status="pending")
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    sources = list(Source.objects.all())
    for source in sources:
        source.lag = (now - source.last_success_at) if source.last_success_at else None
        source.failed_commands = failed.get(source.pk, 0)
        source.pending_commands = pending.get(source.pk, 0)
        if source.is_local:
            source.health = "local"
        elif not source.enabled:
            source.health = "disabled"
        elif source.consecutive_failures:
            source.health = "failing"
        elif source.last_success_at is None:
            source.health = "waiting"
        else:
            source.health = "healthy"
    return render_page(
        request, "inbox/admin_sources.html", "table", {"sources": sources, "now": now}
    )


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


# --- adding and editing sources -----------------------------------------------------------------

WATCH_HINTS = {
    Source.Kind.UIPATH: {"org": "acme", "tenant": "prod", "folder_key": "…", "folder_id": 1001},
    Source.Kind.DOCUSIGN: {"account_id": "…", "workflow_ids": ["…"]},
    Source.Kind.CLOUDFLARE: {"account_id": "…", "workflows": ["approvals"]},
    Source.Kind.STRATEGY: {"instance_sids": []},
    Source.Kind.LITTLEHORSE: {"tenant": "default"},
}


def _json_text(value) -> str:
    return json.dumps(value or {}, indent=2, sort_keys=True)


def _credential_rows(source: Source | None, kind: str | None) -> list[dict]:
    """One password input per credential the engine reads or the source holds. Values are
    never rendered: only whether each is set."""
    held = set(source_service.credential_keys(source))
    wanted = list(source_service.CREDENTIAL_KEYS.get(kind, ())) if kind else ["token", "secret"]
    keys = [*wanted, *sorted(held - set(wanted))]
    return [{"key": key, "is_set": key in held} for key in keys]


def _source_form(request, source: Source | None, *, data=None, errors=None, error=None):
    """The form's context: the source's settings (or what was posted), never its secrets."""
    if data is None:
        values = {
            "name": source.name if source else "",
            "kind": source.kind if source else "",
            "base_url": source.base_url if source else "",
            "watch": _json_text(source.watch) if source else "{}",
            "mapping": _json_text(source.mapping) if source else "{}",
            "poll_interval": source.poll_interval if source else 30,
            "enabled": source.enabled if source else True,
            "cred_new_name": "",
        }
    else:
        values = {
            name: data.get(name, "")
            for name in ("name", "kind", "base_url", "watch", "mapping", "poll_interval")
        }
        values["enabled"] = "enabled" in data
        values["cred_new_name"] = data.get("cred_new_name", "")
    kind = values["kind"] or None
    return {
        "source": source,
        "v": values,
        "kinds": [(k, Source.Kind(k).label) for k in source_service.ENGINE_KINDS],
        "credentials": _credential_rows(source, kind),
        "watch_hint": _json_text(WATCH_HINTS.get(kind, {})) if kind else "",
        "errors": errors or {},
        "error": error,
        "action": (
            reverse("inbox:admin_source_edit", args=[source.pk])
            if source
            else reverse("inbox:admin_source_new")
        ),
    }


def _posted_fields(data, source: Source | None) -> tuple[dict, dict[str, str]]:
    """The service's keyword arguments from the form, and the errors only the form can see
    (JSON that does not parse, a new credential without a name or value)."""
    errors: dict[str, str] = {}
    fields = {
        "name": data.get("name", "").strip(),
        "kind": data.get("kind", "").strip(),
        "base_url": data.get("base_url", "").strip(),
        "poll_interval": data.get("poll_interval", "").strip(),
        "enabled": "enabled" in data,
    }
    for name in ("watch", "mapping"):
        text = data.get(name, "").strip()
        try:
            fields[name] = json.loads(text) if text else {}
        except ValueError as exc:
            errors[name] = f"Not valid JSON: {exc}."
            fields[name] = None
    changes = {}
    for row in _credential_rows(source, fields["kind"] or None):
        key = row["key"]
        if data.get(f"cred_remove__{key}"):
            changes[key] = ""
        elif data.get(f"cred__{key}"):
            changes[key] = data[f"cred__{key}"]
    new_name = data.get("cred_new_name", "").strip()
    new_value = data.get("cred_new_value", "")
    if new_name and new_value:
        changes[new_name] = new_value
    elif new_name or new_value:
        errors["credentials"] = "Give both a name and a value for the other credential."
    fields["credentials"] = changes
    return fields, errors


def _save_source(request, source: Source | None):
    """Validate and save a posted source form; an answer on success, else the form context."""
    fields, form_errors = _posted_fields(request.POST, source)
    errors: dict[str, str] = {}
    try:
        if form_errors:
            source_service.source_validate(source=source, **fields)
            raise ValidationError("Some source settings are invalid.")
        if source is None:
            saved = source_service.source_create(actor=request.user, **fields)
        else:
            saved = source_service.source_update(actor=request.user, source_id=source.pk, **fields)
    except InboxError as exc:
        errors = {key: " ".join(messages_) for key, messages_ in exc.fields.items()}
        errors.update(form_errors)
        typed = any(request.POST.get(k) for k in request.POST if k.startswith("cred"))
        message = exc.message if not errors else "Nothing was saved; see the fields below."
        if typed:
            message += " Secrets you typed were not kept: enter them again."
        context = _source_form(request, source, data=request.POST, errors=errors, error=message)
        return None, context, error_status(request, exc)
    verb = "added" if source is None else "saved"
    messages.success(request, f"Source {saved.name} {verb}.")
    if request.htmx:
        response = HttpResponse("")
        response["HX-Trigger"] = json.dumps({"sources-changed": None})
        return with_toasts(request, response), None, 200
    return redirect("inbox:admin_sources"), None, 200


@admin_view
def admin_source_new(request):
    """Add an engine source: a page of its own, or a panel on the Sources page (htmx)."""
    status = 200
    if request.method == "POST":
        response, context, status = _save_source(request, None)
        if response is not None:
            return response
    else:
        context = _source_form(request, None)
        kind = request.GET.get("kind", "")
        if kind in source_service.ENGINE_KINDS:
            data = {
                "kind": kind,
                "name": request.GET.get("name", ""),
                "base_url": request.GET.get("base_url", ""),
                "poll_interval": "30",
                "enabled": "on",
            }
            context = _source_form(request, None, data=data)
            context["v"]["watch"] = context["watch_hint"]
    return render_page(request, "inbox/admin_source_form.html", "form", context, status=status)


@admin_view
def admin_source_edit(request, source_id):
    """Change an engine source's settings; credentials are write-only (blank keeps them)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None or source.is_local:
        raise Http404("No such source")
    status = 200
    if request.method == "POST":
        response, context, status = _save_source(request, source)
        if response is not None:
            return response
    else:
        context = _source_form(request, source)
    return render_page(request, "inbox/admin_source_form.html", "form", context, status=status)
