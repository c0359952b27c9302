"""The admin console: bulk assign/cancel, user and group pickers, users & groups, task types.
Inbox admins only; everyone else gets a 404. Sources are in ``admin_sources.py``."""

import uuid

from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import with_sign_in_facts
from inbox import lifecycle
from inbox.errors import InboxError
from inbox.models import OPEN_STATUSES, UserTask
from inbox.queries import capped_task_count
from inbox.views.common import admin_view, render_page, safe_next, with_toasts
from inbox.views.confirm import confirmation_page, is_confirmed

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
    elif "cancel" in request.POST and not is_confirmed(request):
        # Without JavaScript: a second step (htmx asks with hx-confirm on the Cancel button,
        # the element that issues its request).
        count = len(ids)
        return confirmation_page(
            request,
            question=f"Cancel {count} task{'s' if count != 1 else ''}?",
            detail=f"Reason: “{reason}”.",
            yes=f"Yes, cancel {count} task{'s' if count != 1 else ''}",
            back_url=safe_next(request, reverse("inbox:admin_tasks")),
        )
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
        with_sign_in_facts(User.objects.prefetch_related("groups"))
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
