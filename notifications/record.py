"""The lifecycle's one hook: every appended TaskEvent or CaseEvent leaves through an outbox row.

Called inside the lifecycle's transaction, right where events are appended. Cost: one INSERT
(none of its own with ``save_and_record``, which writes the event and its row in one statement;
one bulk INSERT for the importer's bulk creation) and, after the commit, one message asking a
worker to fan out. Recipients, preferences and webhooks are worked out by the worker
(``notifications.fanout``), never in the request. A rolled-back change leaves no row, so
nothing is sent for it; a worker that dies leaves the row for the next one.

Imports only models and the name-based dispatcher: nothing above the lifecycle.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models.sql import InsertQuery

from inbox import bulk
from inbox.chained import insert_after
from inbox.models import CaseEvent
from notifications import dispatch
from notifications.models import EventOutbox


def _row(event) -> EventOutbox:
    if isinstance(event, CaseEvent):
        return EventOutbox(case_event_id=event.pk)
    return EventOutbox(event_id=event.pk)


def record_events(events: Sequence) -> None:
    """Queue ``events`` (saved TaskEvent or CaseEvent rows) for fan-out after the current
    transaction."""
    if not events or not settings.NOTIFICATIONS_ENABLED:
        return
    if len(events) == 1:
        _row(events[0]).save()
        _pump_after_commit(transaction.get_connection())
        return
    record_event_ids(
        task_event_ids=[e.pk for e in events if not isinstance(e, CaseEvent)],
        case_event_ids=[e.pk for e in events if isinstance(e, CaseEvent)],
    )


def record_event_ids(*, task_event_ids: Sequence = (), case_event_ids: Sequence = ()) -> None:
    """``record_events`` for events inserted as rows (the importer's bulk first sightings):
    their ids are all the outbox needs."""
    rows = [{"event_id": pk, "case_event_id": None} for pk in task_event_ids]
    rows += [{"event_id": None, "case_event_id": pk} for pk in case_event_ids]
    if not rows or not settings.NOTIFICATIONS_ENABLED:
        return
    bulk.insert_rows(EventOutbox, rows, batch_size=2000, ids=False)  # no round trip for ids
    _pump_after_commit(transaction.get_connection())


def save_and_record(event) -> None:
    """Insert one new (unsaved) TaskEvent or CaseEvent and its outbox row: what ``event.save()``
    then ``record_events([event])`` do, in one round trip on PostgreSQL (one statement whose
    ``WITH`` inserts the event and whose body inserts the outbox row from it). Elsewhere, or
    with notifications off, it is exactly those two calls."""
    connection = transaction.get_connection()
    if not settings.NOTIFICATIONS_ENABLED or connection.vendor != "postgresql":
        event.save()
        record_events([event])
        return
    model = type(event)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    insert = InsertQuery(model)
    insert.insert_values(fields, [event])
    compiler = insert.get_compiler(connection=connection)
    compiler.returning_fields = [model._meta.pk]
    [(event_sql, params)] = compiler.as_sql()
    column = "case_event_id" if isinstance(event, CaseEvent) else "event_id"
    outbox = connection.ops.quote_name(EventOutbox._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH e AS ({event_sql}) INSERT INTO {outbox} ({column}) SELECT {pk} FROM e "
            "RETURNING " + column,
            params,
        )
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias
    _pump_after_commit(connection)


def recorded_insert_after(event, after: str) -> tuple[str, list]:
    """``save_and_record`` as parts of a larger ``WITH`` statement (PostgreSQL): ``e AS (...)``
    inserts the unsaved TaskEvent or CaseEvent ``event`` only when the part named ``after``
    returned a row, and (notifications on) ``n AS (...)`` its outbox row from ``e``. Returns the
    parts' SQL (comma-separated, for after ``after``'s own part) and parameters; once the
    statement ran, pass the id that ``e`` returned to ``mark_recorded``."""
    connection = transaction.get_connection()
    event_sql, params = insert_after(event, after, alias=connection.alias)
    parts = f"e AS ({event_sql})"
    if settings.NOTIFICATIONS_ENABLED:
        parts += ", " + record_part("e", case=isinstance(event, CaseEvent))
    return parts, params


def record_part(events: str, *, case: bool = False) -> str:
    """``n AS (INSERT INTO <outbox> (event_id) SELECT id FROM <events>)``: the outbox rows of
    the TaskEvents (``case``: CaseEvents) that the ``WITH`` part named ``events`` inserted
    (it returns their ``id``). Only with notifications on (``settings.NOTIFICATIONS_ENABLED``);
    once the statement ran, call ``events_recorded``."""
    connection = transaction.get_connection()
    column = "case_event_id" if case else "event_id"
    outbox = connection.ops.quote_name(EventOutbox._meta.db_table)
    return f"n AS (INSERT INTO {outbox} ({column}) SELECT id FROM {events})"


def events_recorded() -> None:
    """After a statement with a ``record_part`` wrote events and their outbox rows: the fan-out
    is asked for after the commit (once per transaction), as ``save_and_record`` does."""
    if settings.NOTIFICATIONS_ENABLED:
        _pump_after_commit(transaction.get_connection())


def mark_recorded(event, pk) -> None:
    """After a statement built with ``recorded_insert_after`` wrote ``event`` as row ``pk``: the
    instance is saved, and the fan-out is asked for after the commit (as ``save_and_record``)."""
    event.pk = pk
    event._state.adding, event._state.db = False, transaction.get_connection().alias
    events_recorded()


def _pump_after_commit(connection) -> None:
    if not connection.in_atomic_block:
        _send_pump()
    elif not any(entry[1] is _send_pump for entry in connection.run_on_commit):
        transaction.on_commit(_send_pump)  # once per transaction, however many events


def _send_pump() -> None:
    dispatch.send(dispatch.PUMP)
