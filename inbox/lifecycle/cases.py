"""Case events: the append-only record of a case's normalised status (first seen, then each
change). The case row itself is written by the importer (the engine is the truth for cases);
this appends what changed, in the importer's transaction, and leaves it through the same
outbox hook as task events (``notifications.record``), so the feed and ``case.changed``
webhooks hear of it once the transaction commits. A status that did not change appends
nothing (an engine replay is silent).

A change an admin asked for through the inbox (``inbox.cases.case_request_action``) names them
in ``data["requested_by"]``: the latest delivered command for that case whose action leads to
the new status, delivered within the last hour (``ATTRIBUTION_WINDOW``).
"""

from datetime import timedelta

from django.utils import timezone

from inbox import bulk
from inbox.models import Case, CaseEvent, OutboxCommand, Source
from notifications.record import record_events

Action = OutboxCommand.Action
_ACTION_FOR = {
    Case.Status.PAUSED: Action.CASE_PAUSE,
    Case.Status.RUNNING: Action.CASE_RESUME,
    Case.Status.COMPLETED: Action.CASE_CLOSE,
    Case.Status.CANCELLED: Action.CASE_CLOSE,
}
ATTRIBUTION_WINDOW = timedelta(hours=1)


def case_events_append(
    *, source: Source, changes: list[tuple[Case, str | None]]
) -> list[CaseEvent]:
    """Append one event per ``(case, old_status)`` whose status differs (``old_status`` None:
    first seen). Call inside the transaction that wrote the cases; one bulk INSERT, plus one
    query for who asked when a case changed to a status an admin can ask for."""
    changed = [(case, old) for case, old in changes if old != case.status]
    if not changed:
        return []
    requested = _requested_by(source, [case for case, old in changed if old is not None])
    events = bulk.new_instances(
        CaseEvent,
        [
            {
                "case_id": case.pk,
                "case": case,
                "kind": CaseEvent.Kind.SEEN if old is None else CaseEvent.Kind.STATUS_CHANGED,
                "old_status": old or "",
                "new_status": case.status,
                "actor_source_id": source.pk,
                "actor_source": source,
                "data": _data(case, old, requested.get((case.pk, _ACTION_FOR.get(case.status)))),
            }
            for case, old in changed
        ],
        related=("case", "actor_source"),
    )
    events = bulk.insert(CaseEvent, events)  # COPY on PostgreSQL
    record_events(events)  # notifications hook: one bulk outbox INSERT
    return events


def _data(case: Case, old: str | None, requested_by: str | None) -> dict:
    data = {
        "external_id": case.external_id,
        "old_status": old,
        "new_status": case.status,
        "upstream_status": case.upstream_status,
    }
    if requested_by:
        data["requested_by"] = requested_by
    return data


def _requested_by(source: Source, cases: list[Case]) -> dict:
    wanted = [c for c in cases if c.status in _ACTION_FOR]
    if not wanted:
        return {}
    found = {}
    commands = (
        OutboxCommand.objects.filter(
            case_id__in=[case.pk for case in wanted],
            action__in={_ACTION_FOR[case.status] for case in wanted},
            source=source,
            status=OutboxCommand.Status.DELIVERED,
            delivered_at__gte=timezone.now() - ATTRIBUTION_WINDOW,
        )
        .exclude(requested_by=None)
        .order_by("id")
        .values_list("case_id", "action", "requested_by__username")
    )
    for case_id, action, username in commands:
        found[(case_id, action)] = username  # the latest wins; the caller picks its action
    return found
