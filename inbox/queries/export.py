"""Rows of a list for CSV export: the same filters, sort and visibility as the list's pages,
walked by keyset in chunks so memory stays flat whatever the number of rows. Read-only;
``inbox.views.export`` streams them.

A chunk is a list of tuples ready for ``csv.writer.writerows``: the EXPORT_FIELDS, then one
cell per chosen context column. On PostgreSQL the database formats every cell (times as ISO
8601, the context as its JSON text, string context values as themselves), so a row never goes
through Python's datetime, UUID or JSON code; only a context column holding a number, object
or array is finished in Python, the way the API shows it.
"""

import json
import uuid
from collections.abc import Iterator

from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from inbox.models import UserTask
from inbox.queries.filters import TaskFilters
from inbox.queries.paging import encode_bookmark, ids_sql, page_ids
from inbox.queries.sorting import RELEVANCE, SORT_FIELDS, SORT_VALUE, TaskSort

CHUNK = 5000
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
_CONTEXT = EXPORT_FIELDS.index("context")


def _rows(ids: list) -> QuerySet:
    return UserTask.objects.filter(pk__in=ids).order_by().values_list(*EXPORT_FIELDS)


_PG_ROWS = """
SELECT t.id::text, t.title, t.task_type, t.status, t.priority,
       to_json(t.due_at) #>> '{{}}', to_json(t.created_at) #>> '{{}}',
       to_json(t.updated_at) #>> '{{}}', to_json(t.completed_at) #>> '{{}}',
       t.external_id, t.context::text, u.username, g.name, s.name, t.case_id{columns}
  FROM (SELECT listed.id, row_number() OVER () AS n FROM ({ids_sql}) AS listed) AS wanted
  JOIN inbox_usertask t ON t.id = wanted.id
  JOIN inbox_source s ON s.id = t.source_id
  LEFT JOIN accounts_user u ON u.id = t.assignee_id
  LEFT JOIN auth_group g ON g.id = t.group_id
 ORDER BY wanted.n
"""
# A string is written as itself, a boolean as Python writes it, a JSON null or a missing key
# as nothing; anything else is left for Python (the row's last column says so).
_PG_COLUMN = """,
       CASE jsonb_typeof(t.context -> %s) WHEN 'string' THEN t.context ->> %s
            WHEN 'boolean' THEN CASE WHEN (t.context -> %s)::boolean THEN 'True' ELSE 'False' END
       END"""
_PG_NEEDS_PYTHON = "jsonb_typeof(t.context -> %s) IN ('number', 'object', 'array')"


def context_cell(context: dict, name: str):
    """A context value as a CSV cell: nothing when missing or null, JSON for objects and
    arrays, else the value itself."""
    if not isinstance(context, dict) or context.get(name) is None:
        return ""
    value = context[name]
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _pg_chunk(ids_query: tuple[str, list], columns: list[str]) -> list[tuple]:
    """The cells of the rows ``ids_query`` (``paging.ids_sql``: ordered, LIMITed, its last
    column the id) lists, in its order: one query. The numbering keeps the order the
    subquery produced (no ORDER BY inside the window)."""
    params: list = []
    extra = ""
    if columns:
        needs_python = " OR ".join(_PG_NEEDS_PYTHON for _ in columns)
        extra = "".join(_PG_COLUMN for _ in columns) + f", ({needs_python})"
        for name in columns:
            params += [name, name, name]
        params += columns
    with connection.cursor() as cursor:
        ids_sql, ids_params = ids_query
        sql = _PG_ROWS.format(columns=extra, ids_sql=ids_sql)
        cursor.execute(sql, [*params, *ids_params])
        rows = cursor.fetchall()
    if not columns:
        return rows
    width = len(EXPORT_FIELDS) + len(columns)
    return [row[:width] if not row[width] else _finished(row, columns) for row in rows]


def _finished(row: tuple, columns: list[str]) -> tuple:
    context = json.loads(row[_CONTEXT])
    base = row[: len(EXPORT_FIELDS)]
    return (*base, *(context_cell(context, name) for name in columns))


def _orm_chunk(ids: list, columns: list[str]) -> list[tuple]:
    """The same cells through the ORM (SQLite)."""
    by_id = {row[0]: row for row in _rows(ids)}
    out = []
    for task_id in ids:
        row = by_id.get(task_id)
        if row is None:
            continue
        cells = [_cell(v) for v in row]
        context = row[_CONTEXT] if isinstance(row[_CONTEXT], dict) else {}
        cells[_CONTEXT] = json.dumps(row[_CONTEXT], ensure_ascii=False, sort_keys=True)
        out.append((*cells, *(context_cell(context, name) for name in columns)))
    return out


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def export_chunks(
    user: User,
    *,
    scope: str,
    filters: TaskFilters,
    sort: TaskSort,
    columns: list[str] = (),
    max_rows: int | None = None,
) -> Iterator[list[tuple]]:
    """Every row ``user`` may see in the list, in ``sort`` order, in chunks of up to CHUNK rows
    (cells of EXPORT_FIELDS, then of ``columns``); on PostgreSQL two queries per chunk (the
    cells of the next keyset page, the last row's position), elsewhere three."""
    columns = list(columns)
    postgres = connection.vendor == "postgresql"
    bookmark, sent = None, 0
    while True:
        limit = CHUNK if max_rows is None else min(CHUNK, max_rows - sent)
        if limit <= 0:
            return
        wanted = dict(scope=scope, filters=filters, sort=sort, limit=limit, bookmark=bookmark)
        if postgres:
            query = ids_sql(user, **wanted)
            chunk = _pg_chunk(query, columns) if query is not None else []
            last_id = chunk[-1][0] if chunk else None
        else:
            ids = page_ids(user, **wanted)
            chunk = _orm_chunk(ids, columns)
            last_id = ids[-1] if ids else None
        if not chunk:
            return
        yield chunk
        sent += len(chunk)
        if len(chunk) < limit:
            return
        last = UserTask.objects.only("id", "context", *_sort_fields(sort)).get(pk=last_id)
        bookmark = encode_bookmark(_with_rank(last, sort, filters), sort)


def export_rows(user: User, **kwargs) -> Iterator[tuple]:
    """``export_chunks`` one row at a time."""
    for chunk in export_chunks(user, **kwargs):
        yield from chunk


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
