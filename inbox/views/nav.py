"""The navigation's counts: own tasks, claimable, and pinned saved views (a context processor).

Lazy: nothing runs unless a template reads ``nav``. Cached per user for
``INBOX_NAV_COUNT_SECONDS`` (default 15 s), so most pages pay no query for it and a miss pays
one (``inbox.queries.counts.nav_counts``: every count in one round trip, each capped at
``INBOX_NAV_COUNT_CAP``). The pinned views themselves are cached until any view changes
(``inbox.listviews`` bumps ``VIEWS_VERSION_KEY``).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from inbox.listviews import VIEWS_VERSION_KEY
from inbox.models import ListView
from inbox.queries.counts import NavCounts
from inbox.queries.counts import nav_counts as count_nav
from inbox.queries.views import pinned_list_views


@dataclass
class NavView:
    id: int
    name: str
    count: str


@dataclass
class Nav:
    counts: NavCounts
    views: list[NavView]

    @property
    def mine(self) -> str:
        return self.counts.label(self.counts.mine)

    @property
    def claimable(self) -> str:
        return self.counts.label(self.counts.claimable)

    def group(self, group_id: int) -> str | None:
        n = self.counts.groups.get(group_id)
        return None if n is None else self.counts.label(n)

    def view(self, view_id: int) -> str | None:
        n = self.counts.views.get(view_id)
        return None if n is None else self.counts.label(n)


def _pinned(user) -> list[ListView]:
    version = cache.get_or_set(VIEWS_VERSION_KEY, 1, None)
    key = f"inbox:nav-views:{user.pk}:{version}"
    views = cache.get(key)
    if views is None:
        views = pinned_list_views(user)
        cache.set(key, views, 3600)
    return views


def nav_for(user) -> Nav:
    key = f"inbox:nav-counts:{user.pk}"
    seconds = settings.INBOX_NAV_COUNT_SECONDS
    views = _pinned(user)
    cached = cache.get(key) if seconds else None
    ids = [v.pk for v in views]
    if cached is None or cached[0] != ids:
        counts = count_nav(user, views, cap=settings.INBOX_NAV_COUNT_CAP)
        if seconds:
            cache.set(key, (ids, counts), seconds)
    else:
        counts = cached[1]
    return Nav(
        counts=counts,
        views=[NavView(v.pk, v.name, counts.label(counts.views.get(v.pk, 0))) for v in views],
    )


def forget_counts(user) -> None:
    """Drop ``user``'s cached counts (after they claim, release or complete: their own lists)."""
    cache.delete(f"inbox:nav-counts:{user.pk}")


def nav_counts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: nav_for(user))}
