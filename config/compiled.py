"""Hot single-row reads compiled by the ORM once per process instead of on every request.

Building and compiling a queryset (filters, ``select_related`` joins, quoting) costs more CPU
than PostgreSQL spends answering a one-row index lookup. ``CompiledRead`` takes a function that
builds the queryset for one key, compiles it once per database alias for two different keys
(the parameters that differ are the key's slots), and per call only executes that SQL with the
key filled in and builds the instances the way ``QuerySet.__iter__`` would: the ORM's own
converters, ``Model.from_db`` and its ``select_related`` populators (a null LEFT JOIN gives
None). The result is exactly what ``queryset.first()`` (without ordering) would return.

Only for querysets whose SQL does not depend on the key's value (no ``IN`` of a list, no
``None`` keys); ``CompiledRead`` checks that the two compilations agree. No database access at
import; no transaction or lock of its own (the caller's, if any, applies). Uses only Django, so
any app may use it. ``prepared_cursor`` runs such statements so that PostgreSQL plans each once
per connection.
"""

import contextlib
import functools
import sys
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators


def prepared_cursor(connection, *, binary: bool = False):
    """A cursor whose statements PostgreSQL plans once per connection, for the hot statements
    whose SQL text is always the same (``CompiledRead``'s, the claim's).

    Django's default psycopg cursors bind client side: the parameters are spliced into the SQL
    text, so PostgreSQL parses and plans every execution afresh, and for a one-row statement
    the planning (joins, subqueries) costs more than running it. This cursor binds server side,
    and prepares each statement on first use (psycopg keeps the connection's 100 most recent):
    from then on it sends only the parameters. It is wrapped as Django wraps its own cursors
    (query logging, execute wrappers, the health check) and runs in the connection's
    transaction like any other. Elsewhere (SQLite) it is ``connection.cursor()``. Behind a
    pooler in transaction mode, use one that keeps prepared statements (PgBouncer 1.21+ with
    ``max_prepared_statements``).

    ``binary``: results come in PostgreSQL's binary format, which psycopg decodes at a
    fraction of the CPU of text (timestamps, UUIDs, integers: a list page's 50 rows took 0.63
    ms to fetch as text, 0.24 ms as binary). The values are the ones Django's own cursors
    give (``timestamptz`` in the connection's zone, UTC), except that ``json`` and ``jsonb``
    come as their text, as Django's loaders give them to ``JSONField.from_db_value``.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off (None also refuses prepare=True).
        # Only server-binding cursors ever prepare, and Django's default ones bind client
        # side: a threshold never reached keeps it off for every cursor but this one.
        connection.connection.prepare_threshold = sys.maxsize
    cursor_class, debug_wrapper = _prepared_cursor_classes(binary)
    raw = cursor_class(connection.connection)
    if binary:
        _json_as_text(raw.adapters)
    if connection.queries_logged:
        return debug_wrapper(raw, connection)
    return connection.make_cursor(raw)


def _json_as_text(adapters) -> None:
    """Binary ``json``/``jsonb`` results as their text (what Django's loaders give)."""
    loaders = _binary_json_loaders()
    adapters.register_loader("jsonb", loaders[0])
    adapters.register_loader("json", loaders[1])


@functools.cache
def _binary_json_loaders():
    from psycopg import DataError
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class JsonbBinaryText(Loader):
        format = Format.BINARY

        def load(self, data):
            data = bytes(data)
            if data[:1] != b"\x01":
                raise DataError("unknown jsonb binary format")
            return data[1:].decode()

    class JsonBinaryText(Loader):
        format = Format.BINARY

        def load(self, data):
            return bytes(data).decode()

    return JsonbBinaryText, JsonBinaryText


@functools.cache
def _prepared_cursor_classes(binary_results: bool = False):
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
    from django.db.backends.utils import CursorWrapper

    class PreparedCursor(ServerBindingCursor):
        """Server-side binding, and every statement prepared (psycopg keeps the connection's
        most recent 100 and re-plans none of them); Django's wrappers call ``execute(sql,
        params)``, so the choice is made here (and whether results come as binary)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary or binary_results)

    class PreparedDebugWrapper(CursorDebugWrapper):
        """Logs the statement as Django's own cursors do (psycopg keeps no query text of a
        prepared execution for ``last_executed_query`` to read)."""

        def execute(self, sql, params=None):
            with self.debug_sql(self.db.ops.compose_sql(sql, params)):
                return CursorWrapper.execute(self, sql, params)

    return PreparedCursor, PreparedDebugWrapper


def fetch_in_one_trip(connection, statements, *, binary: int = -1) -> list[list]:
    """Every row of each of ``statements`` (``(sql, params)`` pairs, each run by a
    ``prepared_cursor``), in ONE round trip on PostgreSQL (psycopg's pipeline mode: all go out
    before any answer is awaited); one after the other elsewhere. ``binary``: the index of the
    one statement whose results come in binary format (``prepared_cursor(binary=True)``), if
    any. For reads a request makes anyway, whose parameters do not depend on each other's
    answers. No transaction of its own (the caller's, if any, applies)."""
    cursors = [prepared_cursor(connection, binary=i == binary) for i in range(len(statements))]
    in_one_trip = (
        connection.connection.pipeline()
        if connection.vendor == "postgresql" and len(statements) > 1
        else contextlib.nullcontext()  # one statement: its own round trip anyway
    )
    try:
        with in_one_trip:
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class CompiledRead:
    def __init__(self, build: Callable[[Any], QuerySet], keys: tuple[Any, Any], key_field):
        """``build(key)`` returns the queryset for ``key``; ``keys`` are two distinct keys of
        the right type, used only to compile (they need not exist); ``key_field`` is the model
        field the key is compared with (its ``get_db_prep_value`` makes the parameter, as the
        ORM would: a UUID stays a UUID on PostgreSQL and becomes text on SQLite)."""
        self.build = build
        self.keys = keys
        self.key_field = key_field
        self._plans: dict[str, tuple] = {}

    @cached_property
    def model(self):
        return self.build(self.keys[0]).model

    def _plan(self, alias: str) -> tuple:
        plan = self._plans.get(alias)
        if plan is None:
            plan = self._plans[alias] = self._compile(alias)
        return plan

    def _compile(self, alias: str) -> tuple:
        connection = connections[alias]
        compiled = []
        for key in self.keys:
            queryset = self.build(key).using(alias).order_by()[:1]
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            compiled.append((compiler, sql, list(params)))
        (compiler, sql, params), (_, other_sql, other_params) = compiled
        slots = [i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
        if sql != other_sql or not slots:
            raise ValueError("CompiledRead: the query's SQL must differ only by the key")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
        converters = row_converters(connection, select)
        return (
            sql,
            params,
            slots,
            klass_info["model"],
            init_list,
            start,
            end,
            populators,
            converters,
        )

    def first(self, key, *, alias: str | None = None):
        """The one row for ``key`` as a model instance (with its ``select_related`` objects),
        or None."""
        alias = alias or router.db_for_read(self.model)
        sql, params = self._statement(key, alias)
        with prepared_cursor(connections[alias]) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return self._build(row, alias)

    def first_along(self, key, along_sql: str, along_params, *, alias: str | None = None):
        """``first(key)`` and another query's rows, in ONE round trip on PostgreSQL (psycopg's
        pipeline mode: both statements go out before either answer is awaited); one after the
        other elsewhere. Returns ``(instance or None, the other query's rows)``. For a read the
        caller would make anyway in the same request (e.g. the user's permission facts)."""
        obj, (rows,) = self.first_along_many(key, [(along_sql, along_params)], alias=alias)
        return obj, rows

    def first_along_many(self, key, along, *, alias: str | None = None):
        """``first_along`` with several other queries (``along``: ``(sql, params)`` pairs), all
        in the one round trip. Returns ``(instance or None, [each query's rows, in order])``."""
        alias = alias or router.db_for_read(self.model)
        first, *rows = fetch_in_one_trip(connections[alias], [self._statement(key, alias), *along])
        return self._build(first[0] if first else None, alias), rows

    def statement(self, key, alias: str) -> tuple[str, list]:
        """The compiled SELECT for ``key`` and its parameters, for a caller that runs it as
        part of a larger statement (e.g. reading the row a ``WITH`` part just wrote); hand the
        row it returns to ``instance``."""
        return self._statement(key, alias)

    def instance(self, row, alias: str):
        """The instance (with its ``select_related`` objects) from a row of ``statement``'s
        select list (more columns after it are ignored), or None for no row."""
        return self._build(row, alias)

    def _statement(self, key, alias: str) -> tuple[str, list]:
        sql, params, slots = self._plan(alias)[:3]
        value = self.key_field.get_db_prep_value(key, connections[alias])
        params = list(params)
        for slot in slots:
            params[slot] = value
        return sql, params

    def _build(self, row, alias: str):
        if row is None:
            return None
        _, _, _, model, init_list, start, end, populators, converters = self._plan(alias)
        row = apply_converters(row, converters, connections[alias])
        obj = model.from_db(alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        return obj


def row_converters(connection, select) -> list:
    """The ORM's value converters of a compiled ``select`` list, as ``(index, expression,
    converters)`` for the columns that have any (what ``SQLCompiler.get_converters`` gives)."""
    converters = []
    for index, (expression, _, _) in enumerate(select):
        found = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if found:
            converters.append((index, expression, found))
    return converters


def apply_converters(row, converters, connection):
    """``row`` with the ORM's value converters (``row_converters``) applied, as a new list; the
    row itself when there are none."""
    if not converters:
        return row
    row = list(row)
    for index, expression, funcs in converters:
        value = row[index]
        for func in funcs:
            value = func(value, expression, connection)
        row[index] = value
    return row


def fill_instance(model, names, values, *, db: str | None = None):
    """An instance of ``model`` with ``values`` (by attname, in ``names``' order) put straight
    into its ``__dict__``: what ``Model.__init__`` or ``from_db`` make, without per-field
    descriptors or keyword parsing. ``db``: the alias it was read from (``_state.adding``
    false), or None for an unsaved instance. Callers check first that nothing listens to the
    model's init signals (those receivers would not run)."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, values, strict=True))
    state = obj._state = ModelState()
    if db is not None:
        state.adding, state.db = False, db
    return obj
