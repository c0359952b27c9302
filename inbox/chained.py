"""Several writes in one round trip (PostgreSQL): the pieces of a ``WITH`` statement in which a
row is inserted only when an earlier part of the same statement wrote one.

``insert_after(instance, after)`` compiles the ORM's own INSERT of one unsaved instance (the
same columns, values and converters as ``instance.save()``) and turns its ``VALUES (...)`` into
``SELECT ... FROM <after>``: the row is written once when the part named ``after`` returned a
row, and not at all when it returned none. PostgreSQL coerces the SELECT's literals to the
target columns as it does for VALUES. The statement returns the new primary key.

``update_returning(queryset, values, returning)`` compiles ``queryset.update(**values)`` as a
part that returns ``returning`` (a column name), so that the parts after it depend on it.

Used by the lifecycle's compare-and-set claim (``inbox.lifecycle.core``) and the notifications
hook (``notifications.record``). No database access here, no transaction of its own: the caller
executes the statement in its transaction. Imports only Django.
"""

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery


def insert_after(instance, after: str, *, alias: str = "default") -> tuple[str, list]:
    """``INSERT INTO <table> (<columns>) SELECT <values> FROM <after> RETURNING <pk>`` for one
    unsaved ``instance`` (auto primary key), and its parameters."""
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


def update_returning(queryset: QuerySet, values: dict, returning: str) -> tuple[str, list]:
    """``queryset.update(**values)`` as SQL ending in ``RETURNING <returning>``, and its
    parameters (expressions such as ``F()``, ``Case`` and ``Exists(OuterRef(...))`` allowed)."""
    update = queryset.query.chain(UpdateQuery)
    update.add_update_values(values)
    sql, params = update.get_compiler(queryset.db).as_sql()
    column = connections[queryset.db].ops.quote_name(returning)
    return f"{sql} RETURNING {column}", list(params)
