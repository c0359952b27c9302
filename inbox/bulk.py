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
nothing new), each looked up through the unique index whatever the planner's statistics say;
elsewhere it is an ``external_id__in`` filter.

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
from django.db.models.signals import post_init, pre_init

from config.compiled import fill_instance

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
    names = [f.attname for f in fields]
    _copy(model, fields, (_values(obj, names) for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _values(obj: models.Model, names: list[str]) -> list:
    """The field values of ``obj`` by attname, read from its ``__dict__`` (a field missing
    there, e.g. deferred, through the attribute as usual)."""
    data = obj.__dict__
    try:
        return [data[name] for name in names]
    except KeyError:
        return [getattr(obj, name) for name in names]


def insert_rows(
    model: type[models.Model], rows: list[dict], *, batch_size: int = 1000, ids: bool = True
) -> list:
    """Insert new rows given as ``{attname: value}`` (every row with the same keys; a field
    left out takes its default) and return their primary keys in order. No model instances
    are built on PostgreSQL: that matters for the many small rows of an import (events,
    outbox rows). ``ids=False``: the caller needs no ids (an empty list is returned); rows
    without an auto primary key then take theirs from the table's own default in the COPY,
    with no round trip for them first."""
    if not uses_copy(len(rows)):
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return [obj.pk for obj in objs] if ids else []
    fields = _fields(model)
    pk = model._meta.pk
    by_default = not ids and _is_auto(pk) and all(pk.attname not in row for row in rows)
    if by_default:
        fields = [f for f in fields if f is not pk]  # the column's DEFAULT nextval(…)
    elif _is_auto(pk) and any(pk.attname not in row for row in rows):
        new_ids = iter(_new_ids(model, [None] * sum(pk.attname not in row for row in rows)))
        rows = [row if pk.attname in row else {**row, pk.attname: next(new_ids)} for row in rows]
    defaults = {
        f.attname: f.get_default()
        for f in fields
        if f.attname not in rows[0] and not (f.primary_key and _is_auto(f))
    }
    names = [f.attname for f in fields]
    _copy(model, fields, ([row.get(n, defaults.get(n)) for n in names] for row in rows))
    return [row[pk.attname] for row in rows] if ids else []


def new_instances(model: type[models.Model], rows: list[dict], related: Sequence[str] = ()):
    """Unsaved instances of ``model`` from rows of ``{attname: value}`` (a field left out takes
    its default). ``related``: names of foreign keys whose object a row also gives under that
    name (``"assignee": user``): it is cached on the instance, so reading it costs no query.

    Each instance is what ``Model.__init__`` makes from positional values (every field set,
    ``_state.adding`` true), filled straight into its ``__dict__``, as ``Model.from_db``'s
    callers in ``inbox.queries.rows`` do: no per-field ``setattr`` through the foreign keys'
    descriptors, no keyword parsing. When something listens to the model's init signals the
    rows go through ``Model.__init__`` instead, so receivers still see every instance."""
    fields = model._meta.concrete_fields
    caches = [model._meta.get_field(name) for name in related]
    known = {f.attname for f in fields} | set(related)
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default for f in fields}
    signalled = pre_init.has_listeners(model) or post_init.has_listeners(model)
    out = []
    for row in rows:
        if not known.issuperset(row):
            raise TypeError(f"{model.__name__} has no field {sorted(set(row) - known)[0]!r}")
        values = [row[name] if name in row else defaults[name]() for name in names]
        obj = model(*values) if signalled else fill_instance(model, names, values)
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
        # The sequence named once as a constant: ``nextval(pg_get_serial_sequence(…))`` looked
        # it up again for every row (10x slower than the ids themselves).
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [_sequence(cursor, model._meta.db_table, pk.column), count],
        )
        return [value for (value,) in cursor.fetchall()]


_sequences: dict[tuple, str] = {}  # (database name, table, column) -> its sequence


def _sequence(cursor, table: str, column: str) -> str:
    """The name of the sequence behind ``table.column``, asked once per process."""
    key = (connection.settings_dict["NAME"], table, column)
    if key not in _sequences:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        _sequences[key] = cursor.fetchone()[0]
    return _sequences[key]


def _copy(model, fields, rows) -> None:
    """One COPY of ``rows`` (new lists of Python values in ``fields`` order, changed in place
    here) into the table. Only the values of fields that need preparing (JSON, dates) are
    touched; the others go to psycopg as they are."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    prepare = [(i, prep) for i, prep in enumerate(map(_preparer, fields)) if prep is not _same]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        write = copy.write_row
        for values in rows:
            if len(values) != len(fields):
                raise ValueError(f"{len(values)} values for {len(fields)} columns of {table}")
            for i, prep in prepare:
                values[i] = prep(values[i])
            write(values)


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
    (plain strings, as the importer screens them). One query; read-only.

    On PostgreSQL each id is one probe of the unique ``(source_id, external_id)`` index (a
    nested loop the planner cannot flatten: ``OFFSET 0``), whatever the statistics say. The
    plain ``external_id = ANY(…)`` form was planned, during a big import with stale
    statistics, as a scan of all the source's rows comparing each with every id of the page:
    a cost that grew with the table (108 ms a page at 3,000 rows)."""
    external_ids = list(dict.fromkeys(external_ids))
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
        f"SELECT found.* FROM json_array_elements_text(%s::json) AS wanted(id) CROSS JOIN "
        f"LATERAL (SELECT {names} FROM {quote(model._meta.db_table)} WHERE source_id = %s "
        "AND external_id = wanted.id OFFSET 0) AS found"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [orjson.dumps(external_ids).decode(), source_id])
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
