"""The event feed's selector: the TaskEvents and CaseEvents a caller may see, in feed order,
keyset-paged.

The cursor is a FeedEntry ``seq``. Seqs are assigned by one fan-out at a time after the events
committed, so a client that read up to N never later finds a smaller seq appear (reading
TaskEvents by id could: ids are taken before commit, out of commit order). Visibility is the
task's current visibility; a case event is visible as its case is (``inbox.queries.
visible_cases``: admins all, staff the cases holding a task they can see), checked per scanned
entry by an ``EXISTS`` probe of the task (case, created_at) index. Each page scans at most ``SCAN`` entries, so a caller who sees
little of a busy feed still moves forward: ``next`` is then the last entry scanned.
Cost: a page is three indexed queries (window end, the page, whether more is waiting).
"""

from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q

from accounts.models import User
from inbox.errors import ValidationError
from inbox.models import CaseEvent, TaskEvent, UserTask
from inbox.parsing import is_ascii_int
from notifications.models import FeedEntry

SCAN = 5000


@dataclass
class FeedPage:
    items: list[tuple[int, TaskEvent | CaseEvent]]
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
        group_ids = user.group_ids()
        # The case branch mirrors inbox.queries.visible_cases, per entry of the bounded window.
        of_case = UserTask.objects.filter(case_id=OuterRef("case_event__case_id"))
        case_visible = Exists(of_case.filter(assignee_id=user.pk))
        if group_ids:
            case_visible |= Exists(of_case.filter(group_id__in=group_ids))
        entries = entries.filter(
            Q(event__task__assignee_id=user.pk)
            | Q(event__task__group_id__in=group_ids)
            | Q(case_event__isnull=False) & Q(case_visible)
        )
    rows = list(
        entries.select_related(
            "event",
            "event__actor",
            "event__actor_source",
            "case_event",
            "case_event__actor",
            "case_event__actor_source",
        )[: limit + 1]
    )
    if len(rows) > limit:
        rows = rows[:limit]
        return FeedPage([(r.seq, r.event or r.case_event) for r in rows], rows[-1].seq, True)
    more = FeedEntry.objects.filter(seq__gt=upper).exists()
    return FeedPage([(r.seq, r.event or r.case_event) for r in rows], upper, more)
