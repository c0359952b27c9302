"""Write-backs on screen: the task page's delivery card (everyone who sees the task) and the
admins' Outbox console (filter by source and state; open, retry, or resolve a command by
taking the engine's state). Retry and resolve are named POST buttons; without JS they redirect
back, with htmx the list or the command swaps in place."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from inbox.delivery import describe, outbox_commands, task_write_backs
from inbox.errors import InboxError
from inbox.models import OutboxCommand, Source
from inbox.parsing import is_ascii_int
from inbox.sync.outbox_admin import outbox_resolve, outbox_retry
from inbox.views.common import admin_view, render_page, staff_view
from inbox.views.tasks import _row_task

STATES = [
    ("stuck", "Failed or conflict"),
    ("open", "On its way or retrying"),
    *OutboxCommand.Status.choices,
    ("", "Any state"),
]
PAGE = 50


def delivery_rows(task) -> list[dict]:
    return [{"command": c, "sentence": describe(c)} for c in task_write_backs(task)]


@staff_view
@require_GET
def task_delivery(request, task_id):
    """The delivery card of one task (polled by the task page while a write-back is open)."""
    task = _row_task(request.user, task_id)
    if task is None:
        raise Http404("No such task")
    rows = delivery_rows(task)
    context = {
        "task": task,
        "write_backs": rows,
        "delivery_open": any(r["command"].is_open for r in rows),
        "is_admin": request.user.is_inbox_admin,
    }
    return render_page(request, "inbox/task_delivery.html", None, context)


def _act(request) -> str | None:
    """Run a retry/resolve button; returns the command id acted on (or None)."""
    post = request.POST
    command_id = post.get("retry") or post.get("resolve")
    if not command_id:
        raise Http404("Unknown action")
    try:
        if "retry" in post:
            outbox_retry(command_id=command_id, actor=request.user)
            messages.success(request, "Sent again: the engine's state is read first.")
        else:
            outbox_resolve(command_id=command_id, actor=request.user, note=post.get("note", ""))
            messages.success(request, "Resolved: the task now shows the engine's state.")
    except InboxError as error:
        messages.error(request, error.message)
    return command_id


@admin_view
def admin_outbox(request):
    """Every write-back, newest first; failed and conflicting ones by default."""
    if request.method == "POST":
        _act(request)
        if not request.htmx:
            return redirect(request.get_full_path())
    source_id = request.GET.get("source") or ""
    state = request.GET.get("state", "stuck")
    if state not in dict(STATES):
        state = "stuck"
    if not is_ascii_int(source_id):
        source_id = ""
    before = request.GET.get("before") or ""
    rows = outbox_commands(
        source_id=source_id or None,
        status=state or None,
        before_id=int(before) if is_ascii_int(before) else None,
        limit=PAGE,
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    query = f"source={source_id}&state={state}"
    context = {
        "commands": [{"command": c, "sentence": describe(c)} for c in rows],
        "sources": Source.objects.order_by("name"),
        "states": STATES,
        "source_id": source_id,
        "state": state,
        "query": query,
        "next_url": f"{reverse('inbox:admin_outbox')}?{query}&before={rows[-1].pk}"
        if more
        else None,
    }
    return render_page(request, "inbox/admin_outbox.html", "table", context)


@admin_view
def admin_outbox_command(request, command_id):
    """One write-back: what was asked, every detail of its delivery, and the way out."""
    if request.method == "POST":
        _act(request)
        if not request.htmx:
            return redirect("inbox:admin_outbox_command", command_id=command_id)
    command = (
        OutboxCommand.objects.select_related("source", "task", "case", "requested_by")
        .select_related("resolved_by")
        .filter(pk=command_id)
        .first()
    )
    if command is None:
        raise Http404("No such write-back")
    context = {"command": command, "sentence": describe(command)}
    return render_page(request, "inbox/admin_outbox_command.html", "detail", context)
