"""The list filter form's ``<option>`` lists and the save-view form's "Share with" checkboxes,
built in Python once per page.

``templates/inbox/task_list.html`` used to loop over the groups, statuses, task types, sort
orders and due presets with a template tag per option (~40 task types alone: a template loop
costs more per page than the list's own SQL). The markup is exactly what those loops wrote,
space before ``selected`` included; every value is escaped. Pure: no query (the caller passes
the user's groups, the cached task types and the request's parameters).
"""

import functools
import html

from django.utils.safestring import SafeString, mark_safe


def _e(value) -> str:
    return html.escape(str(value))


def _option(value, label, chosen: bool) -> str:
    return f'<option value="{_e(value)}" {"selected" if chosen else ""}>{_e(label)}</option>'


def group_options(groups: list[dict], chosen) -> SafeString:
    """After "All my groups": one option per group of the user, with its open count when
    known (``id="group-option-<pk>"``: the counts fragment fills it in when it was not)."""
    out = []
    for g in groups:
        label = f"{g['name']} ({g['count']})" if g["count"] else g["name"]
        chosen_ = "selected" if chosen == g["name"] else ""
        out.append(
            f'<option id="group-option-{int(g["pk"])}" value="{_e(g["name"])}" {chosen_}>'
            f"{_e(label)}</option>"
        )
    return mark_safe("".join(out))  # noqa: S308 (escaped above)


def status_options(statuses, chosen) -> SafeString:
    """After "Any": the list's statuses, "Unassigned" for ``UNASSIGNED``."""
    out = [_option(s, s.lower().capitalize(), chosen == s) for s in statuses]
    return mark_safe("".join(out))  # noqa: S308 (escaped above)


def type_options(task_types) -> SafeString:
    """The task types datalist's options (suggestions; nothing is selected); the same types
    (cached for a minute, ~40 of them) give the same markup, remembered."""
    return _type_options(tuple(task_types))


@functools.lru_cache(maxsize=16)
def _type_options(task_types: tuple) -> SafeString:
    return mark_safe("".join(f'<option value="{_e(t)}">' for t in task_types))  # noqa: S308


def sort_options(choices: dict, value: str, *, history: bool, searching: bool, sort) -> SafeString:
    """Each sortable key up and down, Completed on History, Best match while searching, and
    the current context-variable sort (selected) when there is one."""
    out = []
    for key, label in choices.items():
        out.append(_option(key, f"{label} ↑", value == key))
        out.append(_option(f"-{key}", f"{label} ↓", value == f"-{key}"))
    if history:
        out.append(_option("-completed", "Completed ↓", value == "-completed"))
        out.append(_option("completed", "Completed ↑", value == "completed"))
    if searching:
        out.append(_option("relevance", "Best match", value == "relevance"))
    if sort.context_name:
        arrow = "↓" if sort.descending else "↑"
        out.append(f'<option value="{_e(value)}" selected>{_e(sort.context_name)} {arrow}</option>')
    return mark_safe("".join(out))  # noqa: S308 (escaped above)


def due_options(presets: dict, chosen) -> SafeString:
    """After "Any time": the due-date presets."""
    return mark_safe("".join(_option(k, v, chosen == k) for k, v in presets.items()))  # noqa: S308


def share_options(groups: list[dict], shared_with) -> SafeString:
    """The save-view form's "Share with" checkboxes: one per group of the user, checked when
    the view is shared with it (``shared_with``: the view's group names)."""
    out = []
    for g in groups:
        name = _e(g["name"])
        checked = "checked" if g["name"] in shared_with else ""
        out.append(
            f'<label class="check"><input type="checkbox" name="groups" value="{name}" {checked}>'
            f" {name}</label>"
        )
    return mark_safe("".join(out))  # noqa: S308 (escaped above)
