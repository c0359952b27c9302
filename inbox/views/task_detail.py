"""The task page: typed form, context, comments, timeline, and every action on one task.

One view, named POST buttons (claim, release, delegate, complete, cancel, comment_add, comment_edit,
comment_delete, and for admins assign, admin_complete, admin_cancel). Without JS a POST redirects
back (or re-renders with errors); with htmx the ``body`` partial swaps in place.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from accounts.absences import members_with_absence
from inbox import lifecycle, parsing
from inbox.errors import InboxError, NotFound, ValidationError
from inbox.fields import validate_results
from inbox.sync.registry import capabilities
from inbox.views.common import (
    away_note,
    error_status,
    explain,
    is_partial,
    reassigned_note,
    render_page,
    staff_view,
)
from inbox.views.confirm import confirmation_page, is_confirmed
from inbox.views.tasks import _row_task

FIELD_PREFIX = "f_"
POLL_SECONDS = 5


def _submitted_results(task, post) -> dict:
    """The typed form's values as strings. A BOOLEAN is a Yes/No radio pair with nothing
    preselected: no choice posts nothing, which a required field refuses (never "false")."""
    results = {}
    for field in task.fields:
        values = post.getlist(FIELD_PREFIX + field["name"])
        if values:
            results[field["name"]] = values[-1]
    return results


def form_fields(task, values=None, errors=None) -> list[dict]:
    """Field definitions with their current value, error messages and input attributes."""
    values = values if values is not None else {}
    errors = errors or {}
    rows = []
    for field in task.fields:
        name = field["name"]
        if name in values:
            value = values[name]
        elif name in (task.results or {}):
            value = task.results[name].get("value")
        else:
            value = None
        if field["type"] == "BOOLEAN":  # tri-state: True, False, or None (not chosen yet)
            value = {"true": True, "false": False}.get(str(value).lower())
        elif value is None:
            value = ""
        rows.append(
            {
                **field,
                "input_name": FIELD_PREFIX + name,
                "input_id": f"field-{name}",
                "value": value,
                "errors": errors.get(name, []),
            }
        )
    return rows


def _context(request, task, **extra) -> dict:
    user = request.user
    is_admin = user.is_inbox_admin
    is_assignee = task.assignee_id == user.pk
    is_open = not task.is_terminal
    in_group = task.group_id in user.group_ids()
    # Only what the task's engine can carry out is offered (inbox.sync capabilities).
    caps = capabilities(task.source.kind)
    can = caps.supports_task
    context = {
        "task": task,
        "fields": form_fields(task, extra.pop("values", None), extra.pop("field_errors", None)),
        "comments": task.comments.filter(deleted=False).select_related("author"),
        "events": task.events.select_related("actor", "actor_source"),
        "context_items": sorted((task.context or {}).items()),
        "can_claim": is_open
        and task.status == "UNASSIGNED"
        and (in_group or is_admin)
        and can("claim"),
        "can_release": is_open and task.status == "ASSIGNED" and is_assignee and can("release"),
        "can_complete": is_open and task.status == "ASSIGNED" and is_assignee and can("complete"),
        "can_cancel": is_open and (is_assignee or is_admin) and can("cancel"),
        "cancel_instead": None if can("cancel") else caps.refusal("cancel"),
        "is_admin": is_admin,
        "can_override": is_open and is_admin and can("complete"),
        "can_assign": is_open and is_admin and can("assign"),
        **_delegation(task, user, is_open and task.status == "ASSIGNED" and can("assign")),
        "away_note": away_note(task),
        "now": timezone.now(),
        "reassigned": reassigned_note(task, user),
        "poll_seconds": POLL_SECONDS,
        **_delivery(task),
        "error": None,
        "reason_error": None,
        "comment_error": None,
        "comment_text": "",
    }
    context.update(extra)
    return context


def _delegation(task, user, possible: bool) -> dict:
    """The delegate form: offered to the holder (admins: any holder's task), listing the
    members of the task's group other than the holder (``lifecycle.task_delegate`` decides)."""
    if not possible or not (task.assignee_id == user.pk or user.is_inbox_admin):
        return {"can_delegate": False, "delegate_members": []}
    members = members_with_absence(task.group_id, exclude_id=task.assignee_id)
    return {"can_delegate": True, "delegate_members": members}


def _delivery(task) -> dict:
    from inbox.views.outbox import delivery_rows

    rows = delivery_rows(task)
    return {"write_backs": rows, "delivery_open": any(r["command"].is_open for r in rows)}


def _load(request, task_id):
    task = _row_task(request.user, task_id)
    if task is None:
        raise Http404("No such task")
    return task


@staff_view
def task_detail(request, task_id):
    """Show a task and run its actions. Anyone who can see the task (others: 404)."""
    polled = request.method == "GET" and "v" in request.GET and is_partial(request)
    if polled:
        task = _row_task(request.user, task_id)
        if task is None:  # moved out of sight meanwhile (e.g. an admin moved it to another group)
            messages.info(request, "That task is no longer visible to you.")
            return HttpResponseClientRedirect(reverse("inbox:home"))
        if request.GET["v"] == str(task.version):
            response = HttpResponse(status=204)  # unchanged: htmx leaves the page alone
            response["ETag"] = f'"{task.version}"'
            return response
    else:
        task = _load(request, task_id)
    if request.method != "POST":
        response = render_page(request, "inbox/task_detail.html", "body", _context(request, task))
        response["ETag"] = f'"{task.version}"'
        return response
    post = request.POST
    user = request.user
    extra = {}
    try:
        if "claim" in post:
            lifecycle.task_claim(task_id=task.pk, user=user)
            messages.success(request, "Claimed. The task is yours now.")
        elif "release" in post:
            lifecycle.task_release(task_id=task.pk, user=user)
            messages.success(request, "Released back to the group.")
        elif "complete" in post:
            extra["values"] = _submitted_results(task, post)
            if _asks_reject_confirmation(task, extra["values"], request, "can_complete"):
                return _confirm_reject(request, task, extra)
            lifecycle.task_complete(task_id=task.pk, user=user, results=extra["values"])
            messages.success(request, f"Completed “{task.title}”.")
        elif "cancel" in post:
            if _ask_first(request, task, "can_cancel"):
                return _confirm(request, task, "Cancel this task?", "Yes, cancel the task")
            lifecycle.task_cancel(task_id=task.pk, user=user, message=post.get("message", ""))
            messages.success(request, "Task cancelled.")
        elif "admin_complete" in post:
            extra["values"] = _submitted_results(task, post)
            reason = _require_reason(post)
            if _asks_reject_confirmation(task, extra["values"], request, "can_override"):
                return _confirm_reject(request, task, extra)
            lifecycle.task_admin_complete(
                task_id=task.pk, actor=user, results=extra["values"], reason=reason
            )
            messages.success(request, "Completed by admin override.")
        elif "admin_cancel" in post:
            reason = _require_reason(post, name="cancel_reason")
            if user.is_inbox_admin and _ask_first(request, task, "can_cancel"):
                return _confirm(request, task, "Cancel this task as admin?", "Yes, cancel it")
            lifecycle.task_admin_cancel(task_id=task.pk, actor=user, message=reason)
            messages.success(request, "Cancelled by admin override.")
        elif "delegate" in post:
            extra["delegate_user"] = post.get("user", "").strip()
            extra["delegate_note"] = post.get("note", "")
            updated = lifecycle.task_delegate(
                task_id=task.pk, user=user, to=extra["delegate_user"], note=extra["delegate_note"]
            )
            messages.success(request, f"Delegated to {updated.assignee.username}.")
            extra["delegate_user"] = extra["delegate_note"] = ""
        elif "assign" in post:
            updated = lifecycle.task_assign(
                task_id=task.pk,
                actor=user,
                user=post.get("user", "").strip() or None,
                group=post.get("group", "").strip() or None,
            )
            group = updated.group.name if updated.group else None
            if updated.assignee:
                where = f" in {group}" if group else ""
                messages.success(request, f"Assigned to {updated.assignee.username}{where}.")
            else:
                messages.success(
                    request,
                    f"Moved to {group}: anyone there can claim it." if group else "Unassigned.",
                )
        elif "comment_add" in post:
            extra["comment_text"] = post.get("text", "")
            lifecycle.comment_add(task_id=task.pk, user=user, text=extra["comment_text"])
            extra["comment_text"] = ""
            messages.success(request, "Comment added.")
        elif "comment_edit" in post:
            lifecycle.comment_edit(
                task_id=task.pk,
                comment_id=post.get("comment_edit"),
                user=user,
                text=post.get("text", ""),
            )
            messages.success(request, "Comment updated.")
        elif "comment_delete" in post:
            own = task.comments.filter(
                pk=int(raw) if parsing.is_ascii_int(raw := post.get("comment_delete")) else 0,
                author=user,
                deleted=False,
            ).exists()
            if own and not is_confirmed(request):
                return _confirm(request, task, "Delete this comment?", "Yes, delete it")
            lifecycle.comment_delete(
                task_id=task.pk, comment_id=post.get("comment_delete"), user=user
            )
            messages.success(request, "Comment deleted.")
        else:
            raise Http404("Unknown action")
    except NotFound:
        if any(k in post for k in ("comment_edit", "comment_delete")):
            raise Http404("No such comment") from None
        raise Http404("No such task") from None
    except InboxError as error:
        fresh = _row_task(user, task.pk)
        if fresh is None:
            raise Http404("No such task") from None
        extra.update(_error_context(request, error, fresh, post))
        context = _context(request, fresh, **extra)
        return render_page(
            request, "inbox/task_detail.html", "body", context, status=error_status(request, error)
        )
    if not request.htmx:
        return redirect("inbox:task", task_id=task.pk)
    fresh = _row_task(user, task.pk)
    if fresh is None:  # e.g. an admin moved it out of sight: back to the list
        return HttpResponseClientRedirect("/")
    return render_page(request, "inbox/task_detail.html", "body", _context(request, fresh, **extra))


def rejects(fields: list[dict], values: dict) -> bool:
    """A reject outcome: some required BOOLEAN (e.g. Approve) answered No."""
    return any(
        f["type"] == "BOOLEAN"
        and f.get("required")
        and str(values.get(f["name"])).lower() == "false"
        for f in fields
    )


def _asks_reject_confirmation(task, values: dict, request, flag: str) -> bool:
    """A valid reject, not yet confirmed, of an action the page offers (``flag``); anything else
    goes to the lifecycle, which refuses it with the proper error. Invalid values raise
    ValidationError first, so the field errors show before any question."""
    if is_confirmed(request) or not rejects(task.fields, values):
        return False
    if not _context(request, task)[flag]:
        return False
    validate_results(task.fields, values)
    return True


def _confirm_reject(request, task, extra):
    """Re-render the form with the answers kept and a confirm step in the form's actions (the
    same with htmx and without JavaScript)."""
    context = _context(request, task, confirm_reject=True, **extra)
    return render_page(request, "inbox/task_detail.html", "body", context)


def _ask_first(request, task, flag: str) -> bool:
    """Ask for confirmation only for an action the page offers; anything else goes straight
    to the lifecycle, which refuses it with the proper error."""
    return not is_confirmed(request) and _context(request, task)[flag]


def _confirm(request, task, question: str, yes: str):
    """The no-JavaScript second step (htmx forms post ``confirmed=1`` after hx-confirm)."""
    return confirmation_page(
        request,
        question=question,
        detail=f"“{task.title}”.",
        yes=yes,
        back_url=reverse("inbox:task", args=[task.pk]),
    )


def _require_reason(post, name="reason") -> str:
    reason = post.get(name, "").strip()
    if not reason:
        raise ValidationError(
            "An override needs a reason.", fields={name: ["Say why you override this task."]}
        )
    return reason


def _error_context(request, error: InboxError, task, post) -> dict:
    """Where to show an error: next to fields, next to the reason or comment, or on top."""
    out = {}
    fields = error.fields or {}
    field_names = {f["name"] for f in task.fields}
    field_errors = {k: v for k, v in fields.items() if k in field_names}
    booleans = {f["name"] for f in task.fields if f["type"] == "BOOLEAN"}
    for name in booleans & set(field_errors):
        if field_errors[name] == ["This field is required."]:
            field_errors[name] = ["Choose Yes or No."]
    if field_errors:
        out["field_errors"] = field_errors
        out["error"] = "Some values need fixing; see the messages next to the fields."
    if "reason" in fields or "cancel_reason" in fields:
        out["reason_error"] = " ".join(fields.get("reason") or fields.get("cancel_reason"))
        out["error"] = out.get("error") or error.message
        out["override_open"] = "cancel" if "cancel_reason" in fields else "complete"
    if "text" in fields:
        out["comment_error"] = " ".join(fields["text"])
        out["comment_text"] = post.get("text", "")
        out["comment_edit_id"] = post.get("comment_edit")
    if "delegate" in post and ("user" in fields or "note" in fields):
        out["delegate_error"] = " ".join(fields.get("user") or fields.get("note"))
        out["delegate_error_field"] = "user" if "user" in fields else "note"
        out["delegate_user"], out["delegate_note"] = post.get("user", ""), post.get("note", "")
    elif "user" in fields or "group" in fields:
        out["assign_error"] = error.message
        out["assign_user"], out["assign_group"] = post.get("user", ""), post.get("group", "")
    if not out:
        out["error"] = explain(error, task, request.user)
    out["error_code"] = error.code
    return out
