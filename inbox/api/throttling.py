"""Per-token (else per-user, else per-address) request throttling.

The rate is ``settings.API_THROTTLE_RATE`` (``<n>/<second|minute|hour|day>``, from the environment),
read on each request so tests and operators can change it. Counters live in Django's cache: give
several web processes a shared cache (Redis) so the limit holds across them.

DRF's sliding log, kept exactly (the times of the requests within the window, newest first;
refused when the window already holds ``n``; ``Retry-After`` from the oldest), but stored as an
``array('d')`` rather than a list of floats: the cache pickles the whole log on every request,
and a list of n floats costs about 50 µs per thousand to load and store again (a quarter of a
millisecond per request at 5,000 a minute), an array a few microseconds whatever its length.
"""

from array import array

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        # The rate may change at run time (settings overrides); parse it each time.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        stored = self.cache.get(self.key)
        # A log written before it was an array (a list) is read once into one.
        self.history = stored if isinstance(stored, array) else array("d", stored or ())
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()  # inserts now first and stores the log

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
