"""A task list row's HTML, built in Python once per row.

The markup is the one ``templates/inbox/task_list.html``'s ``row`` partial used to build with
template tags; a page of 50 rows paid ~2,000 template variable look-ups for it, several times
its own SQL. Every value is escaped (``esc``, as ``conditional_escape``: the highlighted title
and snippet arrive already escaped and marked). Needs the row facts ``list_rows.decorate`` sets. Pure: no
query, no lock; list pages and the row action call it.
"""

import functools
import html
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from inbox.templatetags.inbox_ui import delivery_label, due_state, say, short_age


def esc(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper (a page calls it ~1,000 times):
    safe strings as they are, anything else through ``html.escape`` as Django's ``escape``."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@dataclass(frozen=True)
class RowPage:
    """What every row of a page shares."""

    scope: str
    admin_list: bool
    user_id: int | None
    csrf_input: str  # the page's <input name="csrfmiddlewaretoken">, already safe
    next_url: str
    follow_up: bool = False  # the page shows the Follow-up column (tasks.follow_up_column)

    @functools.cached_property
    def form_fields(self) -> str:
        """The hidden fields every row's Claim/Release form carries, escaped once per page."""
        keep = '<input type="hidden" name="follow_up_column" value="1">' if self.follow_up else ""
        return (
            f'{self.csrf_input}<input type="hidden" name="scope" value="{esc(self.scope)}">'
            f'<input type="hidden" name="next" value="{esc(self.next_url)}">{keep}'
        )


@functools.lru_cache(maxsize=1024)
def _type_cell(task_type: str) -> str:
    """The Type cell of a task type (a page repeats a few types over its rows)."""
    return (
        f'  <td data-label="Type"><span class="chip" title="{esc(task_type)}">'
        f"{esc(say(task_type, 'type'))}</span></td>\n"
    )


def row_html(task, page: RowPage, row_error: str | None = None) -> SafeString:
    state = due_state(task)
    task_url = esc(task.url)
    out = [
        f'<tr id="row-{task.pk}" data-task-row data-task-id="{task.pk}" '
        f'data-href="{task_url}" class="{state}{" has-error" if row_error else ""}">\n'
    ]
    if page.admin_list:
        out.append(
            f'  <td class="sel"><input type="checkbox" name="task" value="{task.pk}" '
            f'form="bulk-form" aria-label="Select {esc(task.title)}"></td>\n'
        )
    title = task.title_html if task.title_html else esc(task.title)
    out.append(
        f'  <td class="title" data-label="Task">\n'
        f'    <a href="{task_url}" class="task-link">{title}</a>\n'
    )
    if task.delivery:
        kind = "soon" if task.delivery == "pending" else "overdue"
        out.append(
            f'     <span class="badge {kind}" data-delivery-flag="{esc(task.delivery)}" '
            f'title="The engine has not got this decision yet">'
            f"{esc(delivery_label(task.delivery))}</span>\n"
        )
    if task.snippet_html:
        out.append(f'    <div class="snippet muted">{task.snippet_html}</div>\n')
    if row_error:
        out.append(f'    <div class="row-error" role="alert">{esc(row_error)}</div>\n')
    out.append("  </td>\n")
    if page.admin_list or page.scope == "history":
        status = esc(task.get_status_display())
        status = status[:1].upper() + status[1:]
        finished = (
            f'<div class="muted small" data-finished-by>by {esc(task.finished_by)}, not you</div>'
            if getattr(task, "finished_by", "")
            else ""
        )
        out.append(
            f'  <td data-label="Status"><span class="status s-{esc(task.status.lower())}">'
            f"{status}</span>{finished}</td>\n"
        )
    source = task.source.name if task.source_id else ""
    out.append(_type_cell(str(task.task_type)))
    out.append(f'  <td data-label="Source" class="source" data-source>{esc(source)}</td>\n')
    for cell in task.cells:
        text = (
            f'<time datetime="{esc(cell.raw)}">{esc(cell.text)}</time>'
            if cell.kind == "date"
            else esc(cell.text)
        )
        out.append(
            f'  <td data-label="{esc(cell.label)}" class="ctx {cell.kind}" data-column>{text}</td>\n'
        )
    group = esc(task.group.name) if task.group_id and task.group.name else "—"
    if task.assignee_id:
        if task.assignee_id == page.user_id:
            assignee = "<strong>you</strong>"
        else:
            assignee = esc(task.assignee.username)
    elif task.upstream_assignee:
        assignee = (
            '<span class="muted" title="Assignee in the engine (no inbox account)">'
            f"{esc(task.upstream_assignee)} (engine)</span>"
        )
    else:
        assignee = '<span class="muted">—</span>'
    if task.priority > 0:
        priority = f'<span class="prio p{str(task.priority)[:1]}">{task.priority}</span>'
    else:
        priority = f'<span class="muted">{task.priority}</span>'
    if task.due:
        badge = {
            "overdue": ' <span class="badge overdue">overdue</span>',
            "soon": ' <span class="badge soon">soon</span>',
        }.get(state, "")
        due = (
            f'<time datetime="{task.due.iso}" title="{esc(task.due.full)}">'
            f"{esc(task.due.short)}</time>{badge}"
        )
    else:
        due = '<span class="muted">—</span>'
    out.append(
        f'  <td data-label="Group">{group}</td>\n'
        f'  <td data-label="Assignee">{assignee}</td>\n'
        f'  <td data-label="Priority" class="num">{priority}</td>\n'
        f'  <td data-label="Due" class="due">{due}</td>\n'
    )
    if page.follow_up:
        follow_up = task.follow_up
        out.append(
            '  <td data-label="Follow-up" class="follow-up" data-follow-up>'
            + (
                f'<time datetime="{follow_up.iso}" title="{esc(follow_up.full)}">'
                f"{esc(follow_up.short)}</time>"
                if follow_up
                else '<span class="muted">—</span>'
            )
            + "</td>\n"
        )
    if page.scope == "history":
        done = task.completed
        out.append(
            '  <td data-label="Completed" class="completed">'
            + (
                f'<time datetime="{done.iso}" title="{esc(done.full)}">{esc(done.short)}</time>'
                if done
                else '<time datetime="" title=""></time>'
            )
            + "</td>\n"
        )
    else:
        created = esc(task.created.full) if task.created else ""
        out.append(
            f'  <td data-label="Age" title="Created {created}">{esc(short_age(task.created_at))}</td>\n'
        )
    if task.case_id:
        case = esc(Truncator(say(task.case, "case")).chars(28))
        out.append(f'  <td data-label="Case"><a href="{esc(task.case_url)}">{case}</a></td>\n')
    else:
        out.append('  <td data-label="Case"><span class="muted">—</span></td>\n')
    out.append('  <td class="actions">\n')
    mine = task.status == "ASSIGNED" and task.assignee_id == page.user_id
    if task.status == "UNASSIGNED" or mine:
        url = esc(task.row_url)
        button = (
            '<button type="submit" name="claim" value="1" class="btn btn-sm primary" '
            "data-claim>Claim</button>"
            if task.status == "UNASSIGNED"
            else '<button type="submit" name="release" value="1" class="btn btn-sm" '
            "data-release>Release</button>"
        )
        # the row that comes back keeps the page's columns (form_fields)
        out.append(
            f'    <form method="post" action="{url}" hx-post="{url}" hx-target="closest tr" '
            'hx-swap="outerHTML">\n'
            f"      {page.form_fields}\n"
            f"      {button}\n"
            "    </form>\n"
        )
    out.append("  </td>\n</tr>\n")
    return mark_safe("".join(out))  # noqa: S308 (every value escaped above)
