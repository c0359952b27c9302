"""Case lists ordered by when each case started, newest first, in keyset pages on
(started, id) served by ``case_started_idx``. A case the engine reports no start for counts as
started when the inbox first saw it (``Coalesce(started_at, created_at)``: never null, and an
index expression every database accepts).

Used by the Cases page and the API's case list; bookmarks are opaque (inbox.queries codec).
"""

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from inbox.errors import ValidationError
from inbox.queries import decode_key, encode_key

STARTED = Coalesce("started_at", "created_at")


def _bookmark(case) -> str:
    return encode_key([case.sort_started.isoformat(), case.pk])


def _after(bookmark: str) -> Q:
    position = decode_key(bookmark, list)
    try:
        started, case_id = position
        case_id = int(case_id)
        when = parse_datetime(started)
        if when is None:
            raise ValueError
    except (ValueError, TypeError):
        raise ValidationError(
            "Invalid bookmark", fields={"bookmark": ["Use the bookmark of a previous page."]}
        ) from None
    return Q(sort_started__lt=when) | Q(sort_started=when, id__lt=case_id)


def case_page_by_start(
    cases: QuerySet, *, limit: int, bookmark: str | None = None
) -> tuple[list, str | None]:
    """One page of ``cases`` newest start first, and the next page's bookmark (None at the end)."""
    cases = cases.annotate(sort_started=STARTED)
    if bookmark:
        cases = cases.filter(_after(bookmark))
    rows = list(cases.order_by(F("sort_started").desc(), F("id").desc())[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_bookmark(rows[-1]) if more and rows else None)
