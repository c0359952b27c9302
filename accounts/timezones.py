"""Which time zone a request shows times in: the user's profile setting, else the browser's
(a cookie ``tz`` that static/js/inbox.js sets from ``Intl``), else the server's TIME_ZONE.

``TimezoneMiddleware`` activates it for the request (Django then renders every aware datetime
in it) and names it on ``request.time_zone_name`` and ``request.time_zone_origin``.
"""

import zoneinfo
from functools import lru_cache
from urllib.parse import unquote

from django.conf import settings
from django.utils import timezone

COOKIE = "tz"


@lru_cache(maxsize=1)
def available_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _zone_set() -> frozenset[str]:
    """The same names as a set, built once (every request checks its zone against it)."""
    return frozenset(available_zones())


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def valid_zone(name: str | None) -> str | None:
    """``name`` when it is a known IANA zone, else None."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        return None
    return name if name in _zone_set() else None


def zone_for(request) -> tuple[str, str]:
    """(zone name, where it came from: profile, browser or server)."""
    user = getattr(request, "user", None)
    chosen = valid_zone(getattr(user, "time_zone", "")) if user and user.is_authenticated else None
    if chosen:
        return chosen, "profile"
    browser = valid_zone(unquote(request.COOKIES.get(COOKIE, "")))  # the JS URL-encodes "/"
    if browser:
        return browser, "browser"
    return settings.TIME_ZONE, "server"


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name, origin = zone_for(request)
        request.time_zone_name, request.time_zone_origin = name, origin
        timezone.activate(_zone(name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
