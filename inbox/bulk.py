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

``analyze`` refreshes the planner's statistics of tables after a big import (PostgreSQL only),
so the lookups that follow choose the indexes that fit the new size of the tables.

Runs in the caller's transaction; no locking of its own. Imports only Django: the lifecycle,
the notifications hook and the importer all use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models

# Below this many rows a COPY saves nothing worth a second code path.
COPY_MIN_ROWS = 50


def uses_copy(count: int) -> bool:
    return connection.vendor == "postgresql" and count >= COPY_MIN_ROWS


def insert(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 1000):
    """Insert unsaved new ``objs`` of ``model``; returns them with their primary keys set."""
    objs = list(objs)
    if not uses_copy(len(objs)):
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            missing = [obj for obj in objs if obj.pk is None]
            if missing:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, pk.column, len(missing)],
                )
                for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                    obj.pk = value
        fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        prepare = [_preparer(f) for f in fields]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [prep(getattr(obj, f.attname)) for f, prep in zip(fields, prepare, strict=True)]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _preparer(field: models.Field):
    """value -> what COPY's text format takes for ``field`` (JSON as its text)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def as_json(value):
            return None if value is None else json.dumps(value, cls=encoder)

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


def analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the planner statistics of the models' tables (PostgreSQL; elsewhere nothing)."""
    if connection.vendor != "postgresql" or not model_classes:
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in model_classes)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
