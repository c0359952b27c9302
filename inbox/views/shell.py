"""The paths of the page shell's fixed links (``templates/base.html``'s header and the list
page's forms), reversed once per process instead of by a ``{% url %}`` tag on every page.

A ``reverse`` costs tens of microseconds (the resolver, the active language, quoting); the
header has a dozen of them, together more than a list page's own SQL spends on a query. The
paths depend only on the URLconf and the script prefix, so they are kept per (script prefix,
URLconf) pair; links with arguments (a saved view's) stay ``{% url %}`` tags. A context
processor (``shell_paths``): any template rendered with a request reads ``paths.<key>``.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

LINKS = {
    "home": "inbox:home",
    "claimable": "inbox:claimable",
    "history": "inbox:history",
    "nav_counts": "inbox:nav_counts",
    "cases": "inbox:cases",
    "dashboard": "ops:dashboard",
    "admin_tasks": "inbox:admin_tasks",
    "admin_users": "inbox:admin_users",
    "admin_task_types": "inbox:admin_task_types",
    "admin_sources": "inbox:admin_sources",
    "admin_outbox": "inbox:admin_outbox",
    "admin_bulk": "inbox:admin_bulk",
    "pick_users": "inbox:pick_users",
    "pick_groups": "inbox:pick_groups",
    "view_save": "inbox:view_save",
    "profile": "profile",
    "logout": "account_logout",
    "notifications": "notifications:list",
    "bell": "notifications:bell",
}

_paths: dict[tuple, dict[str, str]] = {}


def paths() -> dict[str, str]:
    """``LINKS`` reversed under the current script prefix and URLconf (cached per pair)."""
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _paths.get(key)
    if found is None:
        found = _paths[key] = {name: reverse(view) for name, view in LINKS.items()}
    return found


def path_to(name: str, *args) -> str:
    """``reverse(name, args=args)``, remembered per (script prefix, URLconf, name, args)."""
    return _path_to(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name, args)


@functools.lru_cache(maxsize=1024)
def _path_to(prefix: str, urlconf, name: str, args: tuple) -> str:
    return reverse(name, args=args)  # under the prefix and URLconf of the key


def shell_paths(request) -> dict:
    return {"paths": paths()}
