"""The page shell's header (``templates/base.html``: brand, navigation with its counts, the bell
slot, help, time zone, who is signed in, sign out), built in Python by the ``{% shell_header %}``
tag (``inbox.templatetags.inbox_shell``) instead of by template tags.

Every page shows the header, and as a template it cost more than a list page's own SQL: about
forty variable lookups, half of them through the ``request.user`` lazy proxy, and a dozen
``{% if url == ... %}`` tests. This writes exactly the markup the template wrote (its whitespace
too); every value is escaped as the template escaped it. Pure: no query of its own (the user's
permission facts come with the request's user read; the nav's counts from the cache, see
``inbox.views.nav``). Anyone may call it with a template context; it answers "" when nobody is
signed in, as the template's ``{% if user.is_authenticated %}`` did.
"""

import html

from django.template.base import render_value_in_context
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from inbox.views.shell import path_to
from inbox.views.shell import paths as shell_paths

_CURRENT = 'aria-current="page"'
_ADMIN_TAG = ' <span class="tag">admin</span>'
# The bell's placeholder (it loads itself: notifications.views.bell), as
# notifications/_bell_slot.html wrote it: the icon's markup is fixed.
_BELL = (
    '<a id="bell" class="bell icon-btn" href="{list}" title="Notifications" '
    'aria-label="Notifications"\n   hx-get="{bell}" hx-trigger="load" hx-swap="outerHTML">'
    '<svg class="bell-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" '
    'focusable="false"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 '
    "0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1"
    'l-2-2z"/></svg></a>\n'
)
# Admin links after the separator: (paths key, label (already HTML), URL names it is current on)
_ADMIN_LINKS = (
    ("dashboard", "Dashboard", ("dashboard",)),
    ("admin_tasks", "All tasks", ("admin_tasks",)),
    ("admin_users", "Users &amp; groups", ("admin_users",)),
    ("admin_task_types", "Task types", ("admin_task_types",)),
    ("admin_sources", "Sources", ("admin_sources",)),
    ("admin_outbox", "Outbox", ("admin_outbox", "admin_outbox_command")),
)


def _text(value, context) -> str:
    """``{{ value }}``: a plain string escaped, anything else as the template renders it."""
    if type(value) is str:
        return html.escape(value)
    return render_value_in_context(value, context)


_ESCAPED: dict[int, tuple[dict, dict]] = {}


def _escaped(paths: dict[str, str]) -> dict[str, str]:
    """``paths`` HTML-escaped, once per paths dict (``shell.paths`` keeps one per URLconf)."""
    found = _ESCAPED.get(id(paths))
    if found is None or found[0] is not paths:
        if len(_ESCAPED) > 16:  # only ever a few (one per URLconf and script prefix)
            _ESCAPED.clear()
        found = _ESCAPED[id(paths)] = (paths, {k: html.escape(v) for k, v in paths.items()})
    return found[1]


def header_html(context) -> SafeString:
    """The header for the template ``context`` (its ``user``, ``request``, ``nav``,
    ``nav_loader_url``, ``paths`` and CSRF token), or "" when its user is not signed in."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return mark_safe("")
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url = match.url_name if match is not None else None
    view_id = match.kwargs.get("view_id", "") if match is not None else ""
    p = _escaped(context.get("paths") or shell_paths())
    nav = context.get("nav")
    admin = user.is_inbox_admin

    def cur(*names) -> str:
        return _CURRENT if url in names else ""

    def count(name) -> str:
        return _text(getattr(nav, name), context) if nav is not None else ""

    views = []
    for v in nav.views if nav is not None else ():
        vid = _text(v.id, context)
        views.append(
            f'<a href="{html.escape(path_to("inbox:view", v.id))}" class="nav-view" '
            f'data-nav-view="{vid}" {cur("view") if view_id == v.id else ""}>'
            f"{_text(v.name, context)} "
            f'<span class="nav-count" id="nav-count-view-{vid}">{_text(v.count, context)}</span>'
            "</a>"
        )
    team = (
        f'<a href="{p["dashboard"]}" {cur("dashboard")}>Team</a>'
        if not admin and user.group_ids()
        else ""
    )
    if admin:
        links = "".join(
            f'\n      <a href="{p[key]}" {cur(*names)}>{label}</a>'
            for key, label, names in _ADMIN_LINKS
        )
        admin_nav = f'\n      <span class="nav-sep" aria-hidden="true"></span>{links}\n      '
    else:
        admin_nav = ""
    loader = ""
    if nav is None or not nav.ready:
        target = context.get("nav_loader_url") or (nav.counts_url if nav is not None else "")
        loader = (
            f'<span hidden data-nav-loader hx-get="{_text(target, context)}" '
            'hx-trigger="load" hx-swap="none"></span>'
        )
    time_zone = getattr(request, "time_zone_name", "") or "UTC"
    username = user.username
    initial = username[0].upper() if username else ""
    return mark_safe(  # noqa: S308 (every value escaped above or here)
        "\n  \n  "
        '<header class="shell-top">\n'
        f'    <a class="brand" href="{p["home"]}"><span class="logo" aria-hidden="true">▣</span>'
        " Inbox</a>\n"
        '    <nav class="nav" aria-label="Main">\n'
        f'      <a href="{p["home"]}" {cur("home")}>My tasks <span class="nav-count" '
        f'id="nav-count-mine" data-nav-count="mine">{count("mine")}</span></a>\n'
        f'      <a href="{p["claimable"]}" {cur("claimable")}>Claimable <span class="nav-count" '
        f'id="nav-count-claimable" data-nav-count="claimable">{count("claimable")}</span></a>\n'
        f"      {''.join(views)}\n"
        f'      <a href="{p["history"]}" {cur("history")}>History</a>\n'
        f'      <a href="{p["cases"]}" {cur("cases", "case")}>Cases</a>\n'
        f"      {team}\n"
        f"      {admin_nav}\n"
        "    </nav>\n"
        f"    {loader}\n"
        '    <div class="me">\n'
        f"      {_BELL.format(list=p['notifications'], bell=p['bell'])}\n"
        '      <button type="button" class="icon-btn" data-help-open title="Keyboard shortcuts (?)"'
        ' aria-label="Keyboard shortcuts">?</button>\n'
        f'      <a class="tz" href="{p["profile"]}" title="Times are shown in this zone; change it'
        f' in your profile" data-time-zone>{_text(time_zone, context)}</a>\n'
        f'      <span class="who" title="{_text(user.email, context)}"><span class="avatar" '
        f'aria-hidden="true">{html.escape(initial)}</span><span class="who-name">'
        f"{_text(user.get_full_name() or username, context)}</span>"
        f"{_ADMIN_TAG if admin else ''}</span>\n"
        f'      <form method="post" action="{p["logout"]}">{CsrfTokenNode().render(context)}'
        '<button type="submit" class="link-btn">Sign out</button></form>\n'
        "    </div>\n"
        "  </header>\n"
        "  \n  "
    )
