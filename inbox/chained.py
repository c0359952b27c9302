"""Several writes in one round trip (PostgreSQL): the pieces of a ``WITH`` statement in which a
row is inserted only when an earlier part of the same statement wrote one.

``insert_after(instance, after)`` compiles the ORM's own INSERT of one unsaved instance (the
same columns, values and converters as ``instance.save()``) and turns its ``VALUES (...)`` into
``SELECT ... FROM <after>``: the row is written once when the part named ``after`` returned a
row, and not at all when it returned none. PostgreSQL coerces the SELECT's literals to the
target columns as it does for VALUES. The statement returns the new primary key. Its SQL text
is compiled once per model, part name and database (the ORM compiles a one-row INSERT in about
as long as PostgreSQL takes to run it); each call only prepares the values, as ``save()`` does.
An instance holding an expression, or a model with a field that writes its own placeholder,
is compiled afresh every time.

``update_returning(model, where, values, returning)`` writes a one-row UPDATE as a part that
returns ``returning``, so that the parts after it depend on it.

Used by the lifecycle's compare-and-set claim (``inbox.lifecycle.core``) and the notifications
hook (``notifications.record``). No database access here, no transaction of its own: the caller
executes the statement in its transaction. Imports only Django.
"""

from typing import Any

from django.db import connections
from django.db.models.sql import InsertQuery

_COMPILED: dict[tuple, str] = {}  # (model, after, alias) -> the statement's SQL text


def insert_after(instance, after: str, *, alias: str = "default") -> tuple[str, list]:
    """``INSERT INTO <table> (<columns>) SELECT <values> FROM <after> RETURNING <pk>`` for one
    unsaved ``instance`` (auto primary key), and its parameters."""
    key = (type(instance), after, alias)
    sql = _COMPILED.get(key)
    if sql is not None:
        connection = connections[alias]
        params = []
        for field in _insert_fields(type(instance)):
            value = field.pre_save(instance, add=True)
            if hasattr(value, "resolve_expression"):
                return _compile_insert_after(instance, after, alias)
            params.append(field.get_db_prep_save(value, connection))
        return sql, params
    sql, params = _compile_insert_after(instance, after, alias)
    fields = _insert_fields(type(instance))
    plain = not any(getattr(field, "get_placeholder", None) for field in fields) and not any(
        hasattr(getattr(instance, field.attname), "resolve_expression") for field in fields
    )
    if plain:
        _COMPILED[key] = sql
    return sql, params


def _insert_fields(model) -> list:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _compile_insert_after(instance, after: str, alias: str) -> tuple[str, list]:
    connection = connections[alias]
    meta = instance._meta
    insert = InsertQuery(type(instance))
    insert.insert_values([f for f in meta.concrete_fields if not f.primary_key], [instance])
    compiler = insert.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    head, sep, rest = sql.partition(" VALUES (")
    values, sep2, returning = rest.rpartition(") RETURNING ")
    if not (sep and sep2):
        raise ValueError(f"insert_after: unexpected INSERT shape: {sql[:80]}")
    return f"{head} SELECT {values} FROM {after} RETURNING {returning}", list(params)


def update_returning(
    model,
    where: dict[str, Any],
    values: dict[str, Any],
    returning: str,
    *,
    raw: dict[str, tuple[str, list]] | None = None,
    alias: str = "default",
) -> tuple[str, list]:
    """``UPDATE <table> SET <column> = %s, ... WHERE <column> = %s AND ... RETURNING
    <returning>``, and its parameters: ``values`` and ``where`` map field names to values,
    prepared by each field as ``save()`` and ``filter()`` would (a model instance for a foreign
    key); ``raw`` maps field names to already compiled SQL expressions with their parameters
    (they may refer to the row's own columns as ``"<table>"."<column>"``). Written directly
    from the fields, without building a queryset: compiling an UPDATE through the ORM costs
    more than the database spends running it."""
    connection = connections[alias]
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    sets, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        if field.is_relation and isinstance(value, field.related_model):
            value = value.pk
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for name, (sql, sql_params) in (raw or {}).items():
        sets.append(f"{quote(meta.get_field(name).column)} = ({sql})")
        params.extend(sql_params)
    conditions = []
    for name, value in where.items():
        field = meta.pk if name == "pk" else meta.get_field(name)
        conditions.append(f"{table}.{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(value, connection))
    column = quote(meta.get_field(returning).column)
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {' AND '.join(conditions)}"
    return f"{sql} RETURNING {column}", params
