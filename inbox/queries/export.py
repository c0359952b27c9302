"""Rows of a list for CSV export: the same filters, sort and visibility as the list's pages,
walked by keyset in chunks so memory stays flat whatever the number of rows. Read-only;
``inbox.views.export`` streams them."""

from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.models import User
from inbox.models import UserTask
from inbox.queries.filters import TaskFilters
from inbox.queries.paging import encode_bookmark, page_ids
from inbox.queries.sorting import RELEVANCE, SORT_FIELDS, SORT_VALUE, TaskSort

CHUNK = 2000
EXPORT_FIELDS = (
    "id",
    "title",
    "task_type",
    "status",
    "priority",
    "due_at",
    "created_at",
    "updated_at",
    "completed_at",
    "external_id",
    "context",
    "assignee__username",
    "group__name",
    "source__name",
    "case_id",
)


def _rows(ids: list) -> QuerySet:
    return UserTask.objects.filter(pk__in=ids).values_list(*EXPORT_FIELDS)


def export_rows(
    user: User, *, scope: str, filters: TaskFilters, sort: TaskSort, max_rows: int | None = None
) -> Iterator[tuple]:
    """Every row ``user`` may see in the list, in ``sort`` order, as tuples of EXPORT_FIELDS;
    two queries per CHUNK rows (ids by keyset, then their values)."""
    bookmark, sent = None, 0
    while True:
        limit = CHUNK if max_rows is None else min(CHUNK, max_rows - sent)
        if limit <= 0:
            return
        ids = page_ids(
            user, scope=scope, filters=filters, sort=sort, limit=limit, bookmark=bookmark
        )
        if not ids:
            return
        by_id = {row[0]: row for row in _rows(ids)}
        for task_id in ids:
            row = by_id.get(task_id)
            if row is not None:
                yield row
        sent += len(ids)
        if len(ids) < limit:
            return
        last = UserTask.objects.only("id", "context", *_sort_fields(sort)).get(pk=ids[-1])
        bookmark = encode_bookmark(_with_rank(last, sort, filters), sort)


def _sort_fields(sort: TaskSort) -> tuple[str, ...]:
    if sort.annotated:
        return ()
    return (SORT_FIELDS[sort.key],)


def _with_rank(task, sort: TaskSort, filters: TaskFilters):
    """Relevance bookmarks need the row's rank: read it the way the page did."""
    if sort.key != RELEVANCE:
        return task
    ranked = sort.annotate(UserTask.objects.filter(pk=task.pk), filters.q).values_list(
        SORT_VALUE, flat=True
    )
    setattr(task, SORT_VALUE, ranked.first() or 0.0)
    return task
