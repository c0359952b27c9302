"""Writes on case instances requested by admins: pause, resume and close reach the engine through
the outbox. The case row itself changes only when the engine confirms (the importer)."""

from django.db import transaction

from accounts.models import User
from inbox.errors import Forbidden, NotFound, TaskStateError, ValidationError
from inbox.models import Case, OutboxCommand, Source

ACTIONS = {
    "pause": OutboxCommand.Action.CASE_PAUSE,
    "resume": OutboxCommand.Action.CASE_RESUME,
    "close": OutboxCommand.Action.CASE_CLOSE,
}
ENDED = {Case.Status.COMPLETED, Case.Status.FAILED, Case.Status.CANCELLED}

# What each engine lets us do to one instance (upstream README): DocuSign pauses only whole
# workflows, the strategy engine's instance pause/resume is inferred but listed.
SUPPORTED = {
    Source.Kind.UIPATH: {"pause", "resume", "close"},
    Source.Kind.DOCUSIGN: {"close"},
    Source.Kind.CLOUDFLARE: {"pause", "resume", "close"},
    Source.Kind.STRATEGY: {"pause", "resume", "close"},
    Source.Kind.LITTLEHORSE: set(),
    Source.Kind.LOCAL: set(),
}


def supported_case_actions(case: Case) -> set[str]:
    return SUPPORTED.get(case.source.kind, set())


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
    if action not in supported_case_actions(case):
        raise TaskStateError(
            f"{case.source.get_kind_display()} does not support {action} on a single instance."
        )
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
