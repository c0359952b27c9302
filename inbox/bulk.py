"""Bulk writes for the sync importer: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``insert`` writes unsaved model instances the caller knows to be new (the importer checked,
under the source's poll lease). On PostgreSQL it streams them with one ``COPY … FROM STDIN``
(psycopg 3's ``cursor.copy``): no SQL text, no client-side quoting of array parameters, which
is where ``bulk_create``'s time goes at import sizes. Auto-increment primary keys are taken from
the table's sequence first (one ``SELECT nextval … FROM generate_series``), so the instances
come back with their ids, as from ``bulk_create``. A row that breaks a constraint fails the whole
COPY (an IntegrityError, like ``bulk_create``): the caller's transaction rolls back.

On any other database (the embedded SQLite defaults of ``make run``) the same call is a
``bulk_create``: the portable fallback, with the same result.

``stored`` is the matching bulk read: the given columns of a source's rows, by external id, for
a page of ids in one query. On PostgreSQL the ids travel as one JSON text parameter (no
per-id parameter for Django to prepare and psycopg to quote, which dominated a poll that finds
nothing new); elsewhere it is an ``external_id__in`` filter.

``analyze`` refreshes the planner's statistics of tables (or of some of their columns) after a
big import (PostgreSQL only), so the lookups that follow choose the indexes that fit the new
size of the tables.

Runs in the caller's transaction; no locking of its own. Imports only Django: the lifecycle,
the notifications hook and the importer all use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import orjson
from django.db import connection, models

# One row goes through bulk_create (an INSERT); from two on, PostgreSQL gets a COPY, so every
# import (and its tests, with their small engines) takes the COPY path.
COPY_MIN_ROWS = 2


def uses_copy(count: int) -> bool:
    return connection.vendor == "postgresql" and count >= COPY_MIN_ROWS


def insert(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 1000):
    """Insert unsaved new ``objs`` of ``model``; returns them with their primary keys set."""
    objs = list(objs)
    if not uses_copy(len(objs)):
        return model.objects.bulk_create(objs, batch_size=batch_size)
    fields = _fields(model)
    for obj, pk in zip(
        [obj for obj in objs if obj.pk is None], _new_ids(model, objs), strict=False
    ):
        obj.pk = pk
    _copy(model, fields, ([getattr(obj, f.attname) for f in fields] for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_rows(model: type[models.Model], rows: list[dict], *, batch_size: int = 1000) -> list:
    """Insert new rows given as ``{attname: value}`` (every row with the same keys; a field
    left out takes its default) and return their primary keys in order. No model instances
    are built on PostgreSQL: that matters for the many small rows of an import (events,
    outbox rows)."""
    if not uses_copy(len(rows)):
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return [obj.pk for obj in objs]
    fields = _fields(model)
    pk = model._meta.pk
    if _is_auto(pk) and any(pk.attname not in row for row in rows):
        ids = iter(_new_ids(model, [None] * sum(pk.attname not in row for row in rows)))
        rows = [row if pk.attname in row else {**row, pk.attname: next(ids)} for row in rows]
    defaults = {
        f.attname: f.get_default()
        for f in fields
        if f.attname not in rows[0] and not (f.primary_key and _is_auto(f))
    }
    names = [f.attname for f in fields]
    _copy(model, fields, ([row.get(n, defaults.get(n)) for n in names] for row in rows))
    return [row[pk.attname] for row in rows]


def new_instances(model: type[models.Model], rows: list[dict], related: Sequence[str] = ()):
    """Unsaved instances of ``model`` from rows of ``{attname: value}`` (a field left out takes
    its default), built positionally: the fast path of ``Model.__init__``, without the keyword
    parsing and the descriptor of each foreign key that cost an import most of its per-row
    Python time. ``related``: names of foreign keys whose object a row also gives under that
    name (``"assignee": user``): it is cached on the instance, so reading it costs no query."""
    fields = model._meta.concrete_fields
    caches = [model._meta.get_field(name) for name in related]
    known = {f.attname for f in fields} | set(related)
    out = []
    for row in rows:
        if not known.issuperset(row):
            raise TypeError(f"{model.__name__} has no field {sorted(set(row) - known)[0]!r}")
        obj = model(*[row[f.attname] if f.attname in row else f.get_default() for f in fields])
        for field in caches:
            field.set_cached_value(obj, row[field.name])
        out.append(obj)
    return out


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _is_auto(field) -> bool:
    return isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField)


def _new_ids(model, objs) -> list:
    """Ids from the table's sequence for the objects without one (auto primary keys)."""
    pk = model._meta.pk
    if not _is_auto(pk):
        return []
    count = sum(1 for obj in objs if obj is None or obj.pk is None)
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [value for (value,) in cursor.fetchall()]


def _copy(model, fields, rows) -> None:
    """One COPY of ``rows`` (lists of Python values in ``fields`` order) into the table."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    prepare = [_preparer(f) for f in fields]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for values in rows:
            copy.write_row([prep(v) for prep, v in zip(prepare, values, strict=True)])


def _preparer(field: models.Field):
    """value -> what COPY's text format takes for ``field`` (JSON as its text)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def as_json(value):
            if value is None:
                return None
            if encoder is None:
                try:
                    return orjson.dumps(value).decode()
                except TypeError:  # what orjson refuses, json may take (or say why not)
                    pass
            return json.dumps(value, cls=encoder)

        return as_json
    if isinstance(field, PLAIN_FIELDS):
        # Already the column's own Python type (ids, UUIDs, strings, numbers): dumped as is.
        return _same
    if isinstance(field, models.DateTimeField):

        def aware(value):
            if value is None or getattr(value, "tzinfo", None) is not None:
                return value
            return field.get_db_prep_save(value, connection)  # naive: made aware, as Django does

        return aware
    return lambda value: field.get_db_prep_save(value, connection)


PLAIN_FIELDS = (
    models.ForeignKey,
    models.UUIDField,
    models.CharField,
    models.TextField,
    models.IntegerField,  # and its Small/Big/Positive kinds, and the auto ids
    models.BooleanField,
)


def _same(value):
    return value


def stored(model: type[models.Model], source_id: int, external_ids, columns: Sequence[str]):
    """Rows ``(external_id, *columns)`` of ``model`` for ``source_id`` among ``external_ids``
    (plain strings, as the importer screens them). One query; read-only."""
    external_ids = list(external_ids)
    if not external_ids:
        return []
    if connection.vendor != "postgresql":
        return list(
            model.objects.filter(source_id=source_id, external_id__in=external_ids).values_list(
                "external_id", *columns
            )
        )
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in ("external_id", *columns))
    sql = (
        f"SELECT {names} FROM {quote(model._meta.db_table)} WHERE source_id = %s "
        "AND external_id = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_id, orjson.dumps(external_ids).decode()])
        return cursor.fetchall()


def analyze(*targets) -> None:
    """Refresh the planner statistics of tables (PostgreSQL; elsewhere nothing). A target is a
    model (every column), or ``(model, field names)``: only those columns' statistics, with
    the table's size (far cheaper on wide tables: no sampling of JSON, text search vectors)."""
    if connection.vendor != "postgresql" or not targets:
        return
    quote = connection.ops.quote_name
    parts = []
    for target in targets:
        model, names = target if isinstance(target, tuple) else (target, ())
        columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
        parts.append(quote(model._meta.db_table) + (f" ({columns})" if columns else ""))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(parts)}")
