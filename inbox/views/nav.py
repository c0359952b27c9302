"""The navigation's counts: own tasks, claimable, and pinned saved views (a context processor),
and the fragment that loads them after the page (``nav_count_swaps``).

Lazy: nothing runs unless a template reads ``nav``. A page never computes counts: it shows
them when they are cached for the user (``INBOX_NAV_COUNT_SECONDS``, default 15 s; no query),
and otherwise empty placeholders (``<span class="nav-count" id="nav-count-mine"></span>``,
never a made-up number) plus a loader (``base.html``) that asks ``GET /nav/counts/`` right
after the page. That request computes them in one query
(``inbox.queries.counts.nav_counts``: every count in one round trip, each capped at
``INBOX_NAV_COUNT_CAP``), caches them, and answers htmx out-of-band swaps for exactly the
counts the page names. So a page pays no count query on a miss either; a miss costs the
fragment's one query, after the page. The pinned views themselves are cached until any view
changes (``inbox.listviews`` bumps ``VIEWS_VERSION_KEY``).

``forget_counts`` drops a user's counts after their own claim, release or completion.
"""

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from inbox.errors import ValidationError
from inbox.listviews import VIEWS_VERSION_KEY
from inbox.models import ListView
from inbox.parsing import is_ascii_int
from inbox.queries.counts import NavCounts
from inbox.queries.counts import nav_counts as count_nav
from inbox.queries.views import pinned_list_views
from inbox.views.common import staff_view
from inbox.views.shell import paths

# The lists whose page shows their own count (``task_list.html``'s ``#list-count``).
COUNTED_LISTS = ("mine", "claimable")


@dataclass
class NavView:
    id: int
    name: str
    count: str  # "" until the counts are known


@dataclass
class Nav:
    counts: NavCounts | None  # None: not cached; the page shows placeholders and loads them
    views: list[NavView]

    @property
    def ready(self) -> bool:
        return self.counts is not None

    @property
    def mine(self) -> str:
        return self.counts.label(self.counts.mine) if self.counts else ""

    @property
    def claimable(self) -> str:
        return self.counts.label(self.counts.claimable) if self.counts else ""

    def group(self, group_id: int) -> str | None:
        n = self.counts.groups.get(group_id) if self.counts else None
        return None if n is None else self.counts.label(n)

    def view(self, view_id: int) -> str | None:
        n = self.counts.views.get(view_id) if self.counts else None
        return None if n is None else self.counts.label(n)

    def loader_url(self, *, groups=(), list_name: str = "") -> str:
        """The fragment's URL for the counts a page shows: the navigation's pinned views, the
        group filter's options (``groups``) and the list's own count (``list_name``: mine,
        claimable or a view's id)."""
        query = {}
        if self.views:
            query["views"] = ",".join(str(v.id) for v in self.views)
        if groups:
            query["groups"] = ",".join(str(pk) for pk in groups)
        if list_name:
            query["list"] = list_name
        url = paths()["nav_counts"]
        return f"{url}?{urlencode(query)}" if query else url

    def counted_list(self, scope: str, view) -> str:
        """Which count a list page shows under its title (the fragment's ``list``): mine,
        claimable, a pinned view's id, or "" (History, All tasks and views not pinned)."""
        if view is not None:
            return str(view.pk) if any(v.id == view.pk for v in self.views) else ""
        return scope if scope in COUNTED_LISTS else ""

    @property
    def counts_url(self) -> str:
        """The loader's URL on a page that shows only the navigation."""
        return self.loader_url()


def _pinned(user) -> list[ListView]:
    version = cache.get_or_set(VIEWS_VERSION_KEY, 1, None)
    key = f"inbox:nav-views:{user.pk}:{version}"
    views = cache.get(key)
    if views is None:
        views = pinned_list_views(user)
        cache.set(key, views, 3600)
    return views


def nav_for(user, *, compute: bool = False) -> Nav:
    """The navigation of ``user``: counts from the cache, or (``compute``) counted now in one
    query and cached. Without ``compute`` a miss leaves ``counts`` None and runs no query for
    them (pages: the loader fetches them after the page)."""
    key = f"inbox:nav-counts:{user.pk}"
    seconds = settings.INBOX_NAV_COUNT_SECONDS
    views = _pinned(user)
    cached = cache.get(key) if seconds else None
    ids = [v.pk for v in views]
    if cached is not None and cached[0] == ids:
        counts = cached[1]
    elif compute:
        counts = count_nav(user, views, cap=settings.INBOX_NAV_COUNT_CAP)
        if seconds:
            cache.set(key, (ids, counts), seconds)
    else:
        counts = None
    return Nav(
        counts=counts,
        views=[
            NavView(v.pk, v.name, counts.label(counts.views.get(v.pk, 0)) if counts else "")
            for v in views
        ],
    )


def forget_counts(user) -> None:
    """Drop ``user``'s cached counts (after they claim, release or complete: their own lists)."""
    cache.delete(f"inbox:nav-counts:{user.pk}")


def nav_counts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: nav_for(user))}


def _ids(request, name: str) -> list[int]:
    raw = request.GET.get(name, "")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > 200 or not all(is_ascii_int(p) for p in parts):
        raise ValidationError(
            "Invalid counts request", fields={name: ["Give ids separated by commas."]}
        )
    return [int(p) for p in parts]


def _swap(target: str, text: str) -> str:
    return f'<span hx-swap-oob="innerHTML:#{target}">{html.escape(text)}</span>'


@staff_view
@require_GET
def nav_count_swaps(request):
    """``GET /nav/counts/?views=1,2&groups=3&list=claimable``: the counts a page shows, as htmx
    out-of-band swaps into its placeholders, computed (one query) unless cached, then cached.
    Any signed-in user; a count is only ever of what they may see: their own tasks, their own
    groups' claimable tasks and their pinned views through their own visibility. Ids the user
    has no count for (a view not pinned, a group not theirs) get no swap. Bad ids are a 400
    naming the parameter. Never stored by caches (``no-store``)."""
    try:
        view_ids, group_ids = _ids(request, "views"), _ids(request, "groups")
        list_name = request.GET.get("list", "")
        if list_name and list_name not in COUNTED_LISTS and not is_ascii_int(list_name):
            raise ValidationError(
                "Invalid counts request",
                fields={"list": ["Give mine, claimable or a view's id."]},
            )
    except ValidationError as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        return HttpResponse(
            f"{error.message}. {problems}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    nav = nav_for(request.user, compute=True)
    out = [_swap("nav-count-mine", nav.mine), _swap("nav-count-claimable", nav.claimable)]
    out += [_swap(f"nav-count-view-{pk}", nav.view(pk)) for pk in view_ids if nav.view(pk)]
    names = dict(request.user.groups.filter(pk__in=group_ids).values_list("pk", "name"))
    for pk in group_ids:
        if pk in names and nav.group(pk) is not None:
            out.append(_swap(f"group-option-{pk}", f"{names[pk]} ({nav.group(pk)})"))
    if list_name:
        count = nav.view(int(list_name)) if is_ascii_int(list_name) else getattr(nav, list_name)
        if count:
            out.append(_swap("list-count", f"{count} open"))
    response = HttpResponse("".join(out))
    response["Cache-Control"] = "no-store"
    return response
