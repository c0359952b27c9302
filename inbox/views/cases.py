"""Case instances: the list and a detail page with the stage timeline and admin case actions."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect

from inbox.cases import case_request_action, supported_case_actions
from inbox.errors import InboxError
from inbox.models import OPEN_STATUSES, Case, Source
from inbox.queries import visible_cases, visible_tasks
from inbox.views.common import error_status, render_page, staff_view

PAGE = 50


@staff_view
def case_list(request):
    """Case instances, newest first, filterable by status, source and name. Any signed-in user
    (staff see the cases of their tasks)."""
    cases = visible_cases(request.user)
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    q = request.GET.get("q", "").strip()
    if status:
        cases = cases.filter(status=status)
    if source:
        cases = cases.filter(source__name=source)
    if q:
        cases = cases.filter(Q(name__icontains=q) | Q(external_id__icontains=q))
    before = request.GET.get("before", "")
    if before.isdigit():
        cases = cases.filter(pk__lt=int(before))
    rows = list(
        cases.annotate(
            open_tasks=Count("tasks", filter=Q(tasks__status__in=OPEN_STATUSES))
        ).order_by("-pk")[: PAGE + 1]
    )
    has_more = len(rows) > PAGE
    rows = rows[:PAGE]
    params = request.GET.copy()
    params.pop("before", None)
    context = {
        "cases": rows,
        "more": rows[-1].pk if has_more else None,
        "query": params.urlencode(),
        "statuses": Case.Status.choices,
        "sources": list(Source.objects.values_list("name", flat=True)),
        "f": request.GET,
    }
    partial = "more" if before else "list"
    return render_page(request, "inbox/cases.html", partial, context)


def _flatten(items):
    for item in items or []:
        if isinstance(item, list):
            yield from _flatten(item)
        elif isinstance(item, dict):
            yield item


@staff_view
def case_detail(request, case_id):
    """A case: stage timeline, its tasks, history; admins Close/Pause/Resume (named buttons)."""
    case = visible_cases(request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    error = None
    status = 200
    if request.method == "POST":
        action = next((a for a in ("pause", "resume", "close") if a in request.POST), None)
        try:
            case_request_action(case_id=case.pk, actor=request.user, action=action or "")
            messages.success(request, f"Asked {case.source.name} to {action} this case.")
            if not request.htmx:
                return redirect("inbox:case", case_id=case.pk)
        except InboxError as exc:
            if exc.code == "forbidden":
                raise Http404("No such page") from None
            error = exc.message
            status = error_status(request, exc)
    stages = list(case.stages.order_by("position"))
    stage_task_ids = {str(t.get("id")) for s in stages for t in _flatten(s.tasks) if t.get("id")}
    tasks = list(
        visible_tasks(request.user)
        .filter(case=case)
        .select_related("assignee", "group")
        .order_by("created_at")[:200]
    )
    by_external = {t.external_id: t for t in tasks}
    by_external.update(
        {
            t.external_id: t
            for t in visible_tasks(request.user).filter(
                source=case.source, external_id__in=stage_task_ids
            )
        }
    )
    for stage in stages:
        stage.items = [
            {**item, "task": by_external.get(str(item.get("id")))} for item in _flatten(stage.tasks)
        ]
        stage.sla_items = _sla_items(stage.sla)
    supported = supported_case_actions(case) if request.user.is_inbox_admin else set()
    actions = []
    if case.status not in ("completed", "failed", "cancelled"):
        if "pause" in supported and case.status != "paused":
            actions.append("pause")
        if "resume" in supported and case.status == "paused":
            actions.append("resume")
        if "close" in supported:
            actions.append("close")
    pending = (
        case.outbox.filter(status="pending").exists() if request.user.is_inbox_admin else False
    )
    context = {
        "case": case,
        "stages": stages,
        "tasks": tasks,
        "actions": actions,
        "error": error,
        "pending_command": pending,
        "history": case.history if isinstance(case.history, list) else [],
        "open_tasks": sum(1 for t in tasks if t.status in OPEN_STATUSES),
    }
    return render_page(request, "inbox/case_detail.html", "body", context, status=status)


def _sla_items(sla) -> list[tuple[str, str]]:
    if not sla:
        return []
    if isinstance(sla, dict):
        return [(str(k).replace("_", " "), v) for k, v in sla.items() if v not in (None, "")]
    return [("SLA", sla)]
