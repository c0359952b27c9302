"""Admin console, engine sources: health, "Sync now", "Add source", "Edit" (credentials
write-only; overlap refused unless overridden; disabling can retire open tasks) and "Delete".
Inbox admins only; everyone else gets a 404."""

import json

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from inbox import parsing
from inbox import sources as source_service
from inbox.errors import InboxError, ValidationError
from inbox.lifecycle.retire import open_task_count
from inbox.models import OutboxCommand, Source
from inbox.parsing import is_ascii_int
from inbox.secrets import redact_text, redact_url, source_secrets
from inbox.sync import quarantine
from inbox.views.common import admin_view, error_status, render_page, with_toasts

PICKER_LIMIT = 20
BULK_LIMIT = 500


@admin_view
def admin_sources(request):
    """Sources: health, lag, last error, and "Sync now" (named button ``sync`` = source id)."""
    if request.method == "POST":
        source = Source.objects.filter(
            pk=_int(request.POST.get("sync")), deleted_at__isnull=True
        ).first()
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
        OutboxCommand.objects.filter(status__in=OutboxCommand.STUCK)
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    pending = dict(
        OutboxCommand.objects.filter(status__in=OutboxCommand.OPEN)
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    sources = list(Source.objects.filter(deleted_at__isnull=True))
    for source in sources:
        source.lag = (now - source.last_success_at) if source.last_success_at else None
        source.failed_commands = failed.get(source.pk, 0)
        source.pending_commands = pending.get(source.pk, 0)
        source.skipped = quarantine.summary(source) if not source.is_local else None
        source.shown_url = redact_url(source.base_url)
        source.shown_error = redact_text(source.last_error, source_secrets(source))
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
    return int(raw) if is_ascii_int(raw) else 0


# --- adding and editing sources -----------------------------------------------------------------

WATCH_HINTS = {
    Source.Kind.UIPATH: {"org": "acme", "tenant": "prod", "folder_key": "…", "folder_id": 1001},
    Source.Kind.DOCUSIGN: {"account_id": "…", "workflow_ids": ["…"]},
    Source.Kind.CLOUDFLARE: {"account_id": "…", "workflows": ["approvals"]},
    Source.Kind.STRATEGY: {"instance_sids": []},
    Source.Kind.LITTLEHORSE: {"tenant": "default"},
}


def _json_text(value) -> str:
    return json.dumps(value or {}, indent=2, sort_keys=True, ensure_ascii=False)


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
            "base_url": redact_url(source.base_url) if source else "",
            "watch": _json_text(source.watch) if source else "{}",
            "mapping": _json_text(source.mapping) if source else "{}",
            "poll_interval": source.poll_interval if source else 30,
            "enabled": source.enabled if source else True,
            "cred_new_name": "",
            "override": False,
            "retire_open_tasks": False,
        }
    else:
        values = {
            name: data.get(name, "")
            for name in ("name", "kind", "base_url", "watch", "mapping", "poll_interval")
        }
        values["base_url"] = redact_url(values["base_url"])  # a typed password is not echoed
        values["enabled"] = "enabled" in data
        values["cred_new_name"] = data.get("cred_new_name", "")
        values["override"] = bool(data.get("override"))
        values["retire_open_tasks"] = bool(data.get("retire_open_tasks"))
    kind = values["kind"] or None
    return {
        "source": source,
        "v": values,
        "kinds": [(k, Source.Kind(k).label) for k in source_service.ENGINE_KINDS],
        "credentials": _credential_rows(source, kind),
        "watch_hint": _json_text(WATCH_HINTS.get(kind, {})) if kind else "",
        "errors": errors or {},
        "error": error,
        "overlap": bool(errors and "already watches" in (errors.get("watch") or "")),
        "open_tasks": open_task_count(source) if source else 0,
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
            fields[name] = parsing.loads_json(text, field=name) if text else {}
        except InboxError as exc:
            errors[name] = " ".join(m for ms in exc.fields.values() for m in ms)
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
        override = bool(request.POST.get("override"))
        if source is None:
            saved = source_service.source_create(actor=request.user, override=override, **fields)
        else:
            saved = source_service.source_update(
                actor=request.user,
                source_id=source.pk,
                override=override,
                retire_open_tasks=bool(request.POST.get("retire_open_tasks")),
                **fields,
            )
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
    source = Source.objects.filter(pk=source_id, deleted_at__isnull=True).first()
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


@admin_view
def admin_source_delete(request, source_id):
    """Delete an engine source: GET asks (what happens to its open tasks and history), POST
    deletes (``inbox.sources.source_delete``) and goes back to Sources."""
    source = Source.objects.filter(pk=source_id, deleted_at__isnull=True).first()
    if source is None or source.is_local:
        raise Http404("No such source")
    error, status = None, 200
    if request.method == "POST":
        try:
            deleted = source_service.source_delete(actor=request.user, source_id=source.pk)
        except InboxError as exc:
            error, status = exc.message, int(exc.status)
        else:
            retired = f" {deleted.retired} open task(s) retired." if deleted.retired else ""
            kept = " Its history is kept." if deleted.soft else ""
            messages.success(request, f"Source {deleted.name} deleted.{retired}{kept}")
            return redirect("inbox:admin_sources")
    history = source_service.source_history(source)
    context = {
        "source": source,
        "open_tasks": open_task_count(source),
        "history": history,
        "has_history": any(history.values()),
        "error": error,
    }
    return render_page(request, "inbox/admin_source_delete.html", None, context, status=status)
