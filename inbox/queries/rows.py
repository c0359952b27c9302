"""A list page's rows by id, read with SQL compiled once per process (HTML lists, API lists).

``task_page`` loaded a page's rows as ``UserTask.objects.select_related(…).only(*row_fields)
.in_bulk(ids)``: every request built and compiled that queryset (its ``IN`` list has a
placeholder per id, so the SQL text changed with the page's size), then made five model
instances per row through ``Model.__init__`` (every field of the model visited, the init
signals sent) — together several times the time PostgreSQL spends answering it.

Here the same queryset stays the source of truth (same joins, same columns, the fields' own
``from_db_value`` converters), compiled once per (database, row fields) with the ids as ONE
array parameter (``= ANY(%s)`` on PostgreSQL, a ``json_each`` list on SQLite). Each row becomes
a ``UserTask`` with its assignee, group, case and source cached as ``select_related`` caches
them, filled straight from the row's values: the same instances ``Model.from_db`` makes (fields
not loaded stay deferred: reading one costs a query, as with ``.only()``), without the per-field
walk of ``Model.__init__``. When something listens to the model's init signals, rows go
through ``Model.from_db`` instead, so receivers still see every instance.

Read-only, no lock, no transaction of its own; any selector may call it. Used by
``inbox.queries.paging.task_page`` for pages without a search text (a search's rows carry
per-request highlight annotations and take the queryset path).
"""

import json
import uuid
from collections.abc import Sequence

from django.db import connections, router
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_init, pre_init

from config.compiled import apply_converters, fill_instance, prepared_cursor, row_converters
from inbox.models import UserTask

RELATED = ("assignee", "group", "case", "source")
_IDS_MARK = object()  # stands for the ids parameter while compiling; never sent
_plans: dict[tuple, tuple] = {}


def rows_by_id(ids: Sequence[uuid.UUID], row_fields: tuple[str, ...]) -> dict:
    """``{id: UserTask}`` for those of ``ids`` that exist, each with ``RELATED`` loaded and only
    ``row_fields`` read (as ``select_related(*RELATED).only(*row_fields).in_bulk(ids)``). One
    query."""
    if not ids:
        return {}
    alias = router.db_for_read(UserTask)
    connection = connections[alias]
    key = (alias, row_fields)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _compile(alias, row_fields)
    sql, params, slot, build = plan
    params = list(params)
    if connection.vendor == "postgresql":
        params[slot] = list(ids)
    else:
        pk = UserTask._meta.pk
        params[slot] = json.dumps([pk.get_db_prep_value(i, connection) for i in ids])
    # one SQL text per row fields: planned once; binary results decode in a third of the CPU
    with prepared_cursor(connection, binary=True) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return build(rows)


def _ids_condition(connection) -> str:
    quote = connection.ops.quote_name
    column = f"{quote(UserTask._meta.db_table)}.{quote(UserTask._meta.pk.column)}"
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _compile(alias: str, row_fields: tuple[str, ...]) -> tuple:
    """(sql, params, index of the ids parameter, rows -> {id: instance}) for ``alias``."""
    connection = connections[alias]
    queryset = (
        UserTask.objects.using(alias)
        .select_related(*RELATED)
        .only(*row_fields)
        .filter(Q(RawSQL(_ids_condition(connection), [_IDS_MARK], output_field=BooleanField())))
        .order_by()
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    params = list(params)
    slots = [i for i, p in enumerate(params) if p is _IDS_MARK]
    if len(slots) != 1:
        raise ValueError("rows_by_id: the ids parameter must appear exactly once")
    return sql, params, slots[0], _builder(compiler, alias)


def _builder(compiler, alias: str):
    """A function turning fetched rows into ``{pk: instance}`` as ``QuerySet.__iter__`` would
    (the ORM's converters, the related objects in the instance's field cache)."""
    connection = connections[alias]
    select, klass_info = compiler.select, compiler.klass_info
    converters = row_converters(connection, select)

    def part(info):
        fields = info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        return info["model"], start, end, names

    main = part(klass_info)
    pk_index = main[1] + main[3].index(UserTask._meta.pk.attname)
    related = []
    for info in klass_info.get("related_klass_infos", []):
        if info.get("related_klass_infos"):
            raise ValueError("rows_by_id: nested select_related is not supported")
        model, start, end, names = part(info)
        pk_at = start + names.index(model._meta.pk.attname)
        related.append(
            (model, start, end, names, pk_at, info["local_setter"], info["remote_setter"])
        )
    models = [main[0], *(r[0] for r in related)]
    signalled = any(pre_init.has_listeners(m) or post_init.has_listeners(m) for m in models)

    def instance(model, names, values):
        if signalled:
            return model.from_db(alias, names, values)
        return fill_instance(model, names, values, db=alias)

    model, start, end, names = main

    def build(rows) -> dict:
        found = {}
        for row in rows:
            row = apply_converters(row, converters, connection)
            obj = instance(model, names, row[start:end])
            for rel_model, rel_start, rel_end, rel_names, pk_at, local, remote in related:
                if row[pk_at] is None:
                    local(obj, None)
                    continue
                rel = instance(rel_model, rel_names, row[rel_start:rel_end])
                local(obj, rel)
                remote(rel, obj)
            found[row[pk_index]] = obj
        return found

    return build
