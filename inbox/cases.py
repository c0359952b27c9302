"""Writes on case instances requested by admins: pause, resume and close reach the engine through
the outbox. The case row itself changes only when the engine confirms (the importer)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.errors import Forbidden, NotFound, TaskStateError, Unsupported, ValidationError
from inbox.models import Case, OutboxCommand, Source
from inbox.sync.registry import capabilities

ACTIONS = {
    "pause": OutboxCommand.Action.CASE_PAUSE,
    "resume": OutboxCommand.Action.CASE_RESUME,
    "close": OutboxCommand.Action.CASE_CLOSE,
}
ENDED = {Case.Status.COMPLETED, Case.Status.FAILED, Case.Status.CANCELLED}


def supported_case_actions(case: Case) -> set[str]:
    """What the case's engine lets us do to one instance (each connector's ``case_actions``)."""
    return set(capabilities(case.source.kind).case_actions)


def check_case_supported(case: Case, action: str) -> None:
    """Refuse a case action the engine cannot carry out (``Unsupported``), before any write."""
    caps = capabilities(case.source.kind)
    if not caps.supports_case(action):
        raise Unsupported(caps.refusal(action, case=True))


@transaction.atomic
def case_request_action(*, case_id, actor: User, action: str, comment: str = "") -> OutboxCommand:
    """Admin: ask the engine to pause, resume or close a case. Locks the case row; writes one
    OutboxCommand, pushed after commit. Refuses actions the engine does not offer."""
    if not actor.is_inbox_admin:
        raise Forbidden("Only inbox admins may pause, resume or close cases.")
    if action not in ACTIONS:
        raise ValidationError(
            f"Unknown case action {action!r}.", fields={"action": ["Use pause, resume or close."]}
        )
    try:
        case = Case.objects.select_for_update(of=("self",)).select_related("source").get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such case") from None
    check_case_supported(case, action)
    if case.status in ENDED:
        raise TaskStateError(f"The case is {case.status} and can no longer {action}.")
    if action == "pause" and case.status == Case.Status.PAUSED:
        raise TaskStateError("The case is already paused.")
    if action == "resume" and case.status != Case.Status.PAUSED:
        raise TaskStateError("Only a paused case can be resumed.")
    command = OutboxCommand.objects.create(
        source=case.source,
        case=case,
        action=ACTIONS[action],
        requested_by=actor,
        payload={"external_id": case.external_id, "comment": comment},
    )
    from inbox.lifecycle import schedule_outbox_push

    schedule_outbox_push(command.pk)
    return command


STARTABLE = {Source.Kind.CLOUDFLARE, Source.Kind.STRATEGY}


# What an asked-for action leads to, and how the case page says it is under way.
_ACTION_TARGETS = {
    OutboxCommand.Action.CASE_PAUSE: ({Case.Status.PAUSED}, "Pausing…"),
    OutboxCommand.Action.CASE_RESUME: ({Case.Status.RUNNING}, "Resuming…"),
    OutboxCommand.Action.CASE_CLOSE: (set(ENDED), "Closing…"),
}
UNDER_WAY_FOR = timedelta(minutes=10)


def case_action_under_way(case: Case) -> str:
    """'Pausing…' etc. while the latest pause/resume/close asked for ``case`` is on its way, or
    delivered but not yet seen in the engine's state (the importer changes the case on its next
    poll); '' otherwise. Read-only; any caller that may see the case."""
    latest = (
        case.outbox.filter(action__in=list(_ACTION_TARGETS))
        .order_by("-created_at")
        .only("action", "status", "created_at")
        .first()
    )
    if latest is None:
        return ""
    targets, label = _ACTION_TARGETS[latest.action]
    if latest.status in OutboxCommand.OPEN:
        return label
    recent = latest.created_at > timezone.now() - UNDER_WAY_FOR
    if latest.status == OutboxCommand.Status.DELIVERED and recent and case.status not in targets:
        return label
    return ""


def case_start(*, source_id, actor: User, params: dict) -> list[Case]:
    """Admin: start new instances on an engine that allows it (Cloudflare create and batch
    create, strategy-engine create), then import them at once so they show up as cases.

    ``params`` is the engine's own create body: Cloudflare ``{workflow?, instance_id?, params?}``
    or ``{workflow?, instances: [...]}``; strategy ``{description, strategyId, startDate,
    attributes}``. Calls the engine synchronously; engine refusals raise ValidationError.
    """
    from inbox.sync.base import ConnectorError
    from inbox.sync.poller import poll
    from inbox.sync.registry import connector_for

    if not actor.is_inbox_admin:
        raise Forbidden("Only inbox admins may start instances.")
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        raise NotFound("No such source")
    if source.kind not in STARTABLE:
        raise TaskStateError(
            f"{source.get_kind_display()} instances cannot be started from the inbox."
        )
    if not isinstance(params, dict):
        raise ValidationError(
            "params must be an object", fields={"params": ["Expected an object."]}
        )
    try:
        with connector_for(source) as connector:
            started = connector.start_case(params)
    except ConnectorError as exc:
        raise ValidationError(f"The engine refused: {exc}", fields={"params": [str(exc)]}) from None
    ids = [str(item.get("id") or item.get("sid") or "") for item in started]
    if source.kind == Source.Kind.STRATEGY:
        with transaction.atomic():
            locked = Source.objects.select_for_update().get(pk=source.pk)
            watch = dict(locked.watch or {})
            watch["instance_sids"] = [*watch.get("instance_sids", []), *ids]
            locked.watch = watch
            locked.save(update_fields=["watch"])
    poll(source.pk, force=True)
    return list(Case.objects.filter(source=source, external_id__in=ids))


def case_step_output(*, case_id, actor: User, name: str, step_type: str = "step") -> dict:
    """The full output of one step, fetched from the engine on demand (Cloudflare)."""
    from inbox.sync.base import ConnectorError
    from inbox.sync.registry import connector_for

    case = Case.objects.select_related("source").filter(pk=case_id).first()
    if case is None or not can_see_case(actor, case):
        raise NotFound("No such case")
    if case.source.kind != Source.Kind.CLOUDFLARE:
        raise TaskStateError(f"{case.source.get_kind_display()} has no step output to fetch.")
    if step_type not in ("step", "waitForEvent", "sleep"):
        raise ValidationError(
            "Unknown step type", fields={"type": ["Use step, waitForEvent or sleep."]}
        )
    try:
        with connector_for(case.source) as connector:
            return connector.step_output(case.external_id, name, step_type)
    except ConnectorError as exc:
        if exc.status == 404:
            raise NotFound(f"No step {name!r} of type {step_type} in this case") from None
        raise ValidationError(f"The engine refused: {exc}", fields={"name": [str(exc)]}) from None


def can_see_case(user: User, case: Case) -> bool:
    """Admins see every case; staff the cases holding a task they can see."""
    from inbox.queries import visible_cases

    return user.is_inbox_admin or visible_cases(user).filter(pk=case.pk).exists()
