"""The event feed's selector: the TaskEvents a caller may see, in feed order, keyset-paged.

The cursor is a FeedEntry ``seq``. Seqs are assigned by one fan-out at a time after the events
committed, so a client that read up to N never later finds a smaller seq appear (reading
TaskEvents by id could: ids are taken before commit, out of commit order). Visibility is the
task's current visibility. Each page scans at most ``SCAN`` entries, so a caller who sees
little of a busy feed still moves forward: ``next`` is then the last entry scanned.
Cost: a page is three indexed queries (window end, the page, whether more is waiting).
"""

from dataclasses import dataclass

from django.db.models import Max, Q

from accounts.models import User
from inbox.errors import ValidationError
from inbox.models import TaskEvent
from inbox.parsing import is_ascii_int
from notifications.models import FeedEntry

SCAN = 5000


@dataclass
class FeedPage:
    items: list[tuple[int, TaskEvent]]
    next_cursor: int
    more: bool


def parse_cursor(raw) -> int:
    raw = (raw or "0").strip()
    if not is_ascii_int(raw) or len(raw) > 18:
        raise ValidationError(
            "Invalid cursor", fields={"after": ["Use the `next` value of the previous page."]}
        )
    return int(raw)


def feed_page(user: User, *, after: int, limit: int) -> FeedPage:
    """One page after ``after``. The scanned window's upper end is read first; every seq up to
    it has committed (seqs commit in order), so ``next`` never skips an entry."""
    entries = FeedEntry.objects.filter(seq__gt=after).order_by("seq")
    upper = entries.values_list("seq", flat=True)[SCAN - 1 : SCAN].first()
    if upper is None:
        upper = FeedEntry.objects.aggregate(top=Max("seq"))["top"] or after
    entries = entries.filter(seq__lte=upper)
    if not user.is_inbox_admin:
        entries = entries.filter(
            Q(event__task__assignee_id=user.pk) | Q(event__task__group_id__in=user.group_ids())
        )
    rows = list(entries.select_related("event", "event__actor", "event__actor_source")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return FeedPage([(r.seq, r.event) for r in rows], rows[-1].seq, True)
    more = FeedEntry.objects.filter(seq__gt=upper).exists()
    return FeedPage([(r.seq, r.event) for r in rows], upper, more)
