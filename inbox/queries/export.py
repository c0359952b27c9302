"""Rows of a list for CSV export: the same filters, sort and visibility as the list's pages,
walked by keyset in chunks so memory stays flat whatever the number of rows. Read-only;
``inbox.views.export`` streams them."""

from collections.abc import Iterator

from django.db import connection
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
    return UserTask.objects.filter(pk__in=ids).order_by().values_list(*EXPORT_FIELDS)


_PG_ROWS = """
SELECT t.id::text, t.title, t.task_type, t.status, t.priority,
       to_json(t.due_at) #>> '{}', to_json(t.created_at) #>> '{}',
       to_json(t.updated_at) #>> '{}', to_json(t.completed_at) #>> '{}',
       t.external_id, t.context::text, u.username, g.name, s.name, t.case_id
  FROM inbox_usertask t
  JOIN inbox_source s ON s.id = t.source_id
  LEFT JOIN accounts_user u ON u.id = t.assignee_id
  LEFT JOIN auth_group g ON g.id = t.group_id
 WHERE t.id = ANY(%s)
"""


def _fetch(ids: list) -> dict:
    """The EXPORT_FIELDS of ``ids`` by id (as text). On PostgreSQL the database formats the
    times (ISO 8601) and the context (JSON text), so no row goes through Python's datetime,
    UUID or JSON parsers; elsewhere through the ORM."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_ROWS, [ids])
            return {row[0]: row for row in cursor.fetchall()}
    return {str(row[0]): row for row in _rows(ids)}


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
        by_id = _fetch(ids)
        for task_id in ids:
            row = by_id.get(str(task_id))
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
