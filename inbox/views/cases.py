"""Case instances: the list (admins start new ones there), a detail page with the stage
timeline, the execution history (a Cloudflare step's output loads on demand) and admin case
actions."""

import json
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_htmx.http import HttpResponseClientRedirect

from inbox import parsing
from inbox.case_pages import case_page_by_start
from inbox.cases import (
    STARTABLE,
    case_action_under_way,
    case_request_action,
    case_start,
    case_step_output,
    supported_case_actions,
)
from inbox.errors import InboxError
from inbox.models import OPEN_STATUSES, Case, OutboxCommand, Source
from inbox.queries import capped_task_count, visible_cases, visible_tasks
from inbox.views.common import admin_view, error_status, render_page, staff_view
from inbox.views.confirm import confirmation_page, is_confirmed

PAGE = 50


@staff_view
def case_list(request):
    """Case instances, most recently started first, filterable by status, source and name. Any signed-in user
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
    try:
        rows, more = case_page_by_start(
            cases.annotate(
                open_tasks=capped_task_count("case_id", '"inbox_case"."id"', *OPEN_STATUSES)
            ),
            limit=PAGE,
            bookmark=before or None,
        )
    except InboxError:
        rows, more, before = [], None, ""
        messages.error(request, "That page link is no longer valid; showing the newest cases.")
    params = request.GET.copy()
    params.pop("before", None)
    context = {
        "cases": rows,
        "more": more,
        "query": params.urlencode(),
        "statuses": Case.Status.choices,
        "sources": list(Source.objects.values_list("name", flat=True)),
        "f": request.GET,
    }
    if request.user.is_inbox_admin and not before:
        context["start"] = _start_form(_startable_sources())
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
        if (
            action == "close"
            and request.user.is_inbox_admin
            and "close" in supported_case_actions(case)
            and not is_confirmed(request)
        ):  # without JavaScript: a second step (htmx asks with hx-confirm on the form)
            return confirmation_page(
                request,
                question=f"Close this case in {case.source.name}?",
                detail=f"“{case.name or case.external_id}” ends for good in the engine.",
                yes="Yes, close the case",
                back_url=request.path,
            )
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
            {"id": "", "name": "", **item, "task": by_external.get(str(item.get("id")))}
            for item in _flatten(stage.tasks)
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
        case.outbox.filter(status__in=OutboxCommand.OPEN).exists()
        if request.user.is_inbox_admin
        else False
    )
    under_way = case_action_under_way(case)
    if under_way:
        actions = [a for a in actions if a == "close"]  # no second Pause while one is on its way
    context = {
        "case": case,
        "stages": stages,
        "tasks": tasks,
        "actions": actions,
        "error": error,
        "pending_command": pending,
        "under_way": under_way,
        "history": history_rows(case, {s.external_id: s.name for s in stages}),
        "open_tasks": sum(1 for t in tasks if t.status in OPEN_STATUSES),
    }
    return render_page(request, "inbox/case_detail.html", "body", context, status=status)


def _sla_items(sla) -> list[tuple[str, str]]:
    if not sla:
        return []
    if isinstance(sla, dict):
        return [(str(k).replace("_", " "), v) for k, v in sla.items() if v not in (None, "")]
    return [("SLA", sla)]


# --- execution history ------------------------------------------------------------------------

STEP_TYPES = ("step", "waitForEvent", "sleep")
# The keys each engine's history rows show in their own places; any other key is listed below.
USED_KEYS = {
    Source.Kind.CLOUDFLARE: {"type", "name", "start", "end", "success", "finished"},
    Source.Kind.UIPATH: {"element_id", "name", "type", "status", "started_at", "ended_at", "link"},
    Source.Kind.DOCUSIGN: {"step", "name", "status"},
    Source.Kind.STRATEGY: {"event", "task", "status", "date", "last_step"},
}


def _when(raw):
    """An ISO timestamp from the engine as a datetime (or the raw text when it is not one)."""
    if not raw or not isinstance(raw, str):
        return raw or None
    try:
        return parse_datetime(raw) or raw
    except ValueError:
        return raw


def _cloudflare_status(entry: dict) -> str:
    if entry.get("success") is True:
        return "completed"
    if entry.get("success") is False:
        return "failed"
    if entry.get("finished"):
        return "completed"
    return "waiting" if entry.get("type") == "waitForEvent" else "running"


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    labels = host.split(".")
    if host.replace(".", "").isdigit() or len(labels) < 2:
        return host
    return ".".join(labels[-2:])


def _links_into(link, base_url: str) -> bool:
    """Whether an engine's "open in engine" link leads into the engine this source talks to (a
    simulated engine's links name the real vendor's site, where the element does not exist)."""
    if not isinstance(link, str) or not link.startswith(("http://", "https://")):
        return False
    return bool(_site(link)) and _site(link) == _site(base_url or "")


def history_rows(case: Case, stage_names: dict[str, str] | None = None) -> list[dict]:
    """The engine's history as display rows: title, kind, status, start/end, detail, and for a
    Cloudflare step the query that fetches its output. ``stage_names`` (external id -> name)
    names the stage an element ran within."""
    stage_names = stage_names or {}
    history = case.history if isinstance(case.history, list) else []
    kind = case.source.kind
    rows = []
    for entry in history:
        if not isinstance(entry, dict):
            rows.append({"title": str(entry), "extra": []})
            continue
        row = {"extra": []}
        if kind == Source.Kind.CLOUDFLARE:
            step_type = str(entry.get("type") or "step")
            row.update(
                title=entry.get("name") or step_type,
                kind=step_type,
                status=_cloudflare_status(entry),
                start=_when(entry.get("start")),
                end=_when(entry.get("end")),
            )
            if entry.get("name") and step_type in STEP_TYPES:
                row["step_query"] = urlencode({"name": entry["name"], "type": step_type})
        elif kind == Source.Kind.UIPATH:
            link = entry.get("link")
            row.update(
                title=entry.get("name") or entry.get("element_id") or "element",
                kind=entry.get("type") or "",
                status=str(entry.get("status") or "").lower(),
                start=_when(entry.get("started_at")),
                end=_when(entry.get("ended_at")),
                link=link if _links_into(link, case.source.base_url) else "",
            )
            if entry.get("parent"):
                parent = str(entry["parent"])
                row["extra"].append(("within", stage_names.get(parent) or parent))
        elif kind == Source.Kind.DOCUSIGN:
            step = entry.get("step")
            name = entry.get("name") or ""
            row.update(
                title=(f"Step {step}: {name}" if name else f"Step {step}")
                if step not in (None, "")
                else name or "step",
                status=str(entry.get("status") or "").lower(),
            )
        elif kind == Source.Kind.STRATEGY:
            row.update(
                title=entry.get("task") or entry.get("event") or "event",
                kind="event",
                status=str(entry.get("status") or "").lower(),
                start=_when(entry.get("date")),
            )
            if entry.get("last_step"):
                row["extra"].append(("last step", entry["last_step"]))
        else:
            row.update(title=entry.get("name") or entry.get("id") or "entry")
            row["extra"] = [(k, v) for k, v in entry.items() if k not in ("id", "name")]
        used = USED_KEYS.get(kind, set()) | {k for k, _ in row["extra"]} | {"parent"}
        row["extra"] += [
            (k, v)
            for k, v in entry.items()
            if k not in used and k != "id" and v not in (None, "", [], {})
        ]
        row["status_class"] = "".join(c for c in row.get("status", "") if c.isalnum())
        rows.append(row)
    return rows


@staff_view
def case_step(request, case_id):
    """One Cloudflare step's output, fetched from the engine now: a fragment for htmx (swapped
    in under the step), else a page of its own."""
    case = visible_cases(request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    name = request.GET.get("name", "").strip()
    step_type = request.GET.get("type", "step").strip() or "step"
    context = {"case": case, "name": name, "step_type": step_type, "result": None, "error": None}
    status = 200
    try:
        if not name:
            raise InboxError("Name the step whose output you want.")
        result = case_step_output(
            case_id=case.pk, actor=request.user, name=name, step_type=step_type
        )
        if not isinstance(result, dict):
            result = {"status": "", "error": None, "output": result}
        context["result"] = {
            "status": str(result.get("status") or ""),
            "error": result.get("error"),
            "output": json.dumps(result.get("output"), indent=2, sort_keys=True, default=str),
            "has_output": result.get("output") is not None,
        }
    except InboxError as exc:
        context["error"] = exc.message
        status = error_status(request, exc)
    return render_page(request, "inbox/case_step.html", "output", context, status=status)


# --- starting instances -------------------------------------------------------------------------


def _startable_sources() -> list[Source]:
    return list(Source.objects.filter(kind__in=STARTABLE, enabled=True).order_by("name"))


def start_example(source: Source | None) -> dict:
    """A create body the engine of ``source`` accepts, to edit before starting."""
    if source is None:
        return {}
    if source.kind == Source.Kind.STRATEGY:
        return {
            "description": "Billing for Globex",
            "strategyId": "subscription-billing",
            "startDate": (timezone.now() + timedelta(minutes=5)).replace(microsecond=0).isoformat(),
            "attributes": {"customer": "Globex", "plan": "pro"},
        }
    watch = source.watch if isinstance(source.watch, dict) else {}
    workflows = watch.get("workflows") or []
    workflow = workflows[0] if workflows and isinstance(workflows[0], str) else "approvals"
    # the parameters the importer routes by (group, title), so the example's task lands in a
    # group that can claim it rather than in no group
    group_param = watch.get("group_param") or "approver_group"
    return {
        "workflow": workflow,
        "params": {
            "title": "Approve purchase order for Globex",
            "kind": "purchase",
            "amount": 420,
            "currency": "USD",
            "requester": "alice@example.com",
            group_param: "finance",
        },
    }


def _start_form(sources, *, selected=None, params_text=None, errors=None, error=None) -> dict:
    chosen = selected or (sources[0] if sources else None)
    if params_text is None:
        params_text = json.dumps(start_example(chosen), indent=2)
    return {
        "sources": sources,
        "selected": chosen,
        "params": params_text,
        "errors": errors or {},
        "error": error,
    }


@admin_view
def case_start_view(request):
    """Admins: start instances on a Cloudflare or strategy-engine source. GET shows the form
    (``?source=`` prefills that engine's example); POST starts and goes to the new case."""
    sources = _startable_sources()
    by_id = {str(s.pk): s for s in sources}
    status = 200
    if request.method != "POST":
        selected = by_id.get(request.GET.get("source", ""))
        form = _start_form(sources, selected=selected)
    else:
        raw_source = request.POST.get("source", "")
        selected = by_id.get(raw_source)
        params_text = request.POST.get("params", "")
        errors: dict[str, str] = {}
        params = None
        if selected is None:
            errors["source"] = "Choose a source that can start instances."
        try:
            params = parsing.loads_json(params_text, field="params") if params_text.strip() else {}
            if not isinstance(params, dict):
                errors["params"] = "The parameters must be a JSON object: { ... }."
        except InboxError as exc:
            errors["params"] = " ".join(m for ms in exc.fields.values() for m in ms)
        if not errors:
            try:
                cases = case_start(source_id=selected.pk, actor=request.user, params=params)
            except InboxError as exc:
                if exc.fields:
                    for key, messages_ in exc.fields.items():
                        errors["source" if key == "source" else "params"] = " ".join(messages_)
                else:
                    errors["source"] = exc.message
                status = error_status(request, exc)
            else:
                return _started(request, selected, cases)
        else:
            status = 200 if request.htmx else 400
        form = _start_form(
            sources,
            selected=selected,
            params_text=params_text,
            errors=errors,
            error="Nothing was started; see below." if errors else None,
        )
    return render_page(request, "inbox/case_start.html", "form", {"start": form}, status=status)


def _started(request, source: Source, cases: list[Case]):
    count = len(cases)
    if count == 1:
        messages.success(request, f"Started {cases[0]} on {source.name}.")
        target = reverse("inbox:case", args=[cases[0].pk])
    else:
        messages.success(
            request, f"Started {count} instance{'s' if count != 1 else ''} on {source.name}."
        )
        target = f"{reverse('inbox:cases')}?{urlencode({'source': source.name})}"
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)
