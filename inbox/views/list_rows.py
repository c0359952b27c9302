"""What a list row shows, computed once per row in Python (not by template tags per cell):
its links, its highlighted title and snippet, and its chosen context columns, typed.

Typed cells: numbers right-aligned and grouped (``1,234.5``), ISO dates and date-times shown as
dates in the viewer's zone, booleans as yes/no, anything else as text (objects as compact JSON).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import SafeString, mark_safe

from inbox.queries.search import marked_html

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@dataclass
class Cell:
    text: str
    kind: str  # num, date, bool, text, none
    raw: str = ""  # machine value for <time datetime>
    label: str = ""  # the column's name (the cell's label on narrow screens)


def typed_cell(value, *, present: bool = True) -> Cell:
    if not present or value is None:
        return Cell("—", "none")
    if isinstance(value, bool):
        return Cell("yes" if value else "no", "bool")
    if isinstance(value, int | float):
        return Cell(format(value, ","), "num")
    if isinstance(value, str):
        when = _as_date(value)
        if when is not None:
            shown = formats.date_format(
                timezone.localtime(when) if isinstance(when, datetime) else when,
                "M j, Y H:i" if isinstance(when, datetime) else "M j, Y",
            )
            return Cell(shown, "date", value)
        return Cell(value if len(value) <= 80 else value[:79] + "…", "text")
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Cell(text if len(text) <= 80 else text[:79] + "…", "text")


def _as_date(text: str):
    if not (10 <= len(text) <= 40 and text[:4].isdigit() and text[4:5] == "-"):
        return None
    try:
        if len(text) == 10:
            return parse_date(text)
        when = parse_datetime(text)
        if when is not None:
            return when if timezone.is_aware(when) else when.replace(tzinfo=UTC)
        return parse_date(text)
    except ValueError:
        return None


class RowUrls:
    """URLs of a row, reversed once per (script prefix, URLconf) and filled in per task
    (``row_urls``: a page, or the row a Claim answers, only fills them in)."""

    def __init__(self):
        self.task = reverse("inbox:task", args=[_PLACEHOLDER])
        self.row = reverse("inbox:task_row", args=[_PLACEHOLDER])
        self.case = reverse("inbox:case", args=[0])

    def apply(self, task) -> None:
        pk = str(task.pk)
        task.url = self.task.replace(_PLACEHOLDER, pk)
        task.row_url = self.row.replace(_PLACEHOLDER, pk)
        task.case_url = self.case.replace("/0/", f"/{task.case_id}/") if task.case_id else ""


_row_urls: dict[tuple, RowUrls] = {}


def row_urls() -> RowUrls:
    """The ``RowUrls`` of the current script prefix and URLconf (as ``shell.paths``)."""
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _row_urls.get(key)
    if found is None:
        found = _row_urls[key] = RowUrls()
    return found


@dataclass
class When:
    """A time as a row shows it, formatted once in Python in the active zone (the template's
    ``|date`` filter costs several times more per call, and a page has 150 of them)."""

    iso: str  # <time datetime>
    short: str  # Jan 1, 09:30
    full: str  # Jan 1, 2026 09:30 CET


# strftime's %b in the C locale (the process never sets another), without a strftime per call
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(value, zone=None) -> When | None:
    """``value`` in ``zone`` (default: the active zone, as ``timezone.localtime``)."""
    if value is None:
        return None
    local = value.astimezone(zone or timezone.get_current_timezone())
    day = f"{_MONTHS[local.month - 1]} {local.day}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return When(
        local.isoformat(),
        f"{day}, {clock}",
        f"{day}, {local.year:04d} {clock} {local.tzname() or ''}",
    )


def decorate(tasks, columns: list[str], urls: RowUrls | None = None) -> None:
    """Set ``url``, ``row_url``, ``case_url``, ``cells``, ``title_html``, ``snippet_html`` and
    the formatted ``due``, ``follow_up``, ``created`` and ``completed`` times."""
    urls = urls or row_urls()
    zone = timezone.get_current_timezone()
    for task in tasks:
        urls.apply(task)
        task.due = when(task.due_at, zone)
        task.follow_up = when(task.follow_up_at, zone)
        task.created = when(task.created_at, zone)
        task.completed = when(task.completed_at, zone)
        context = task.context if isinstance(task.context, dict) else {}
        task.cells = []
        for name in columns:
            cell = typed_cell(context.get(name), present=name in context)
            cell.label = name
            task.cells.append(cell)
        task.title_html = _marked(getattr(task, "title_marked", None))
        snippet = getattr(task, "snippet_marked", None)
        task.snippet_html = _marked(snippet) if snippet and "\ue000" in snippet else None


def _marked(text: str | None) -> SafeString | None:
    return mark_safe(marked_html(text)) if text else None  # noqa: S308 (escaped first)


def follow_up_column(params, sort, tasks) -> bool:
    """Whether a list page shows the Follow-up column (with its sortable header).

    Shown when it says something: the list is sorted by follow-up, or a task on the page has a
    follow-up date (the SLA's "claim within", ``UserTask.follow_up_at``). Most lists have no
    SLA policy and no follow-up date, so they keep their width. A Load more page
    (``bookmark``) and a row answered after Claim/Release follow the page they join: its
    header is already drawn, so they carry ``follow_up_column=1`` when it has the column."""
    if params.get("bookmark"):
        return params.get("follow_up_column") == "1"
    return sort.key == "follow_up" or any(task.follow_up_at for task in tasks)
