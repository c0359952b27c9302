"""Case lists ordered by when each case started, newest first (cases the engine reports no
start for come last), in keyset pages on (started_at, id) served by ``case_started_idx``.

Used by the Cases page and the API's case list; bookmarks are opaque (inbox.queries codec).
"""

from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_datetime

from inbox.errors import ValidationError
from inbox.queries import decode_key, encode_key

ORDER = (F("started_at").desc(nulls_last=True), F("id").desc())


def _bookmark(case) -> str:
    return encode_key([case.started_at.isoformat() if case.started_at else None, case.pk])


def _after(bookmark: str) -> Q:
    position = decode_key(bookmark, list)
    try:
        started, case_id = position
        case_id = int(case_id)
        when = parse_datetime(started) if started is not None else None
        if started is not None and when is None:
            raise ValueError
    except (ValueError, TypeError):
        raise ValidationError(
            "Invalid bookmark", fields={"bookmark": ["Use the bookmark of a previous page."]}
        ) from None
    if when is None:
        return Q(started_at__isnull=True, id__lt=case_id)
    return Q(started_at__lt=when) | Q(started_at=when, id__lt=case_id) | Q(started_at__isnull=True)


def case_page_by_start(
    cases: QuerySet, *, limit: int, bookmark: str | None = None
) -> tuple[list, str | None]:
    """One page of ``cases`` newest start first, and the next page's bookmark (None at the end)."""
    if bookmark:
        cases = cases.filter(_after(bookmark))
    rows = list(cases.order_by(*ORDER)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_bookmark(rows[-1]) if more and rows else None)
