"""The poll lease: which poll may write a source right now.

A lease is a token and an expiry on the Source row, taken with one conditional UPDATE (works
the same on PostgreSQL and SQLite, across machines; a worker that dies lets it expire). It is
renewed only when a page commits (progress): a poll stuck without progress loses it when it
expires, another poll may take the source over, and every later write of the first poll (a
page's cursor, the outcome) is refused, since each is an UPDATE conditional on the token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from inbox.models import Source

LEASE = timedelta(minutes=5)


class LeaseLost(Exception):
    """Another poll took the source over: this one must stop writing."""


@dataclass
class Lease:
    source_id: int
    token: uuid.UUID
    duration: timedelta = LEASE

    @classmethod
    def acquire(cls, source_id: int, *, force: bool, duration: timedelta = LEASE) -> Lease | None:
        """The lease, unless another poll holds it or (without ``force``) the source's backoff
        has not elapsed. One UPDATE, no transaction needed."""
        now = timezone.now()
        query = Source.objects.filter(pk=source_id, enabled=True).exclude(kind=Source.Kind.LOCAL)
        query = query.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        if not force:
            query = query.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        token = uuid.uuid4()
        if query.update(lease_until=now + duration, lease_token=token) != 1:
            return None
        return cls(source_id, token, duration)

    def _mine(self):
        return Source.objects.filter(pk=self.source_id, lease_token=self.token)

    def save_cursor(self, cursor: dict) -> None:
        """Save a committed page's cursor and renew the lease; call inside the page's
        transaction, which ``LeaseLost`` then rolls back."""
        if self._mine().update(cursor=cursor, lease_until=timezone.now() + self.duration) != 1:
            raise LeaseLost("another poll took this source over; this poll stopped writing")

    def renew(self) -> None:
        """Extend the lease after progress; ``LeaseLost`` when another poll holds it."""
        if self._mine().update(lease_until=timezone.now() + self.duration) != 1:
            raise LeaseLost("another poll took this source over; this poll stopped writing")

    def release(self, **outcome) -> bool:
        """Record the poll's outcome and free the source; False when the lease was lost."""
        return self._mine().update(lease_until=None, lease_token=None, **outcome) == 1
