"""Out of office in the lifecycle: assignments to someone away go to their substitute, and an
absence that asks for it gives the tasks its user holds back to their groups when it starts.

``route_assignee`` is asked wherever a task is about to be assigned to a user by someone other
than that user: an admin (``task_assign``) and the engine (the sync importer's ``Mapper``). It
only reads. The task keeps who it was meant for on its ASSIGNED/CREATED event (``away_for``),
which the task page shows as "for alice, who is away".

``tasks_return_for_absences`` runs from Celery beat (``inbox.tasks.return_absent_tasks``) and
right after an absence that has already started is saved. Each absence is handled once: its
row is locked (``SKIP LOCKED``: a second worker moves on) and ``returned_at`` is set in the same
transaction as the releases, which go through ``task_release`` as the absent user (their
choice), so each engine-owned task gets its ordinary release write-back.
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.absences import current, substitute_for
from accounts.models import Absence, User
from inbox.errors import InboxError
from inbox.lifecycle.staff import task_release
from inbox.models import TaskStatus, UserTask

log = logging.getLogger(__name__)


def route_assignee(user: User | None) -> tuple[User | None, User | None]:
    """(who gets a task assigned to ``user`` now, whom it was meant for when they are away)."""
    substitute = substitute_for(user)
    if substitute is None:
        return user, None
    return substitute, user


def held_for(task: UserTask, events=None) -> dict | None:
    """``{"id", "username"}`` of whom ``task``'s holder stands in for (out of office: the latest
    assignment event names them), or None. ``events``: the task's events oldest first, when
    already loaded (no query then). Reads only."""
    if task.status != TaskStatus.ASSIGNED or not task.assignee_id:
        return None
    if events is None:
        latest = (
            task.events.filter(kind__in=("ASSIGNED", "CREATED"))
            .order_by("-created_at", "-id")
            .first()
        )
    else:
        latest = next((e for e in reversed(events) if e.kind in ("ASSIGNED", "CREATED")), None)
    data = (latest.data or {}) if latest else {}
    away = data.get("away_for") or None
    holder = data.get("new_user") if latest and latest.kind == "ASSIGNED" else data.get("user")
    if not away or (holder or {}).get("id") != task.assignee_id:
        return None
    return away


def tasks_return_for_absences(*, user: User | None = None) -> int:
    """Give back the tasks held by users whose absence has started and asked for it (only
    ``user``'s when given). Tasks whose engine cannot release stay where they are (logged).
    Returns how many tasks went back to their groups."""
    pending = Absence.objects.filter(
        current(), return_tasks=True, returned_at__isnull=True
    ).order_by("starts_at")
    if user is not None:
        pending = pending.filter(user=user)
    returned = 0
    for absence_id in list(pending.values_list("pk", flat=True)[:1000]):
        returned += _return_one(absence_id)
    return returned


@transaction.atomic
def _return_one(absence_id: int) -> int:
    absence = (
        Absence.objects.select_for_update(skip_locked=True)
        .select_related("user")
        .filter(pk=absence_id, returned_at__isnull=True)
        .first()
    )
    if absence is None:
        return 0  # another worker has it, or did it
    count = 0
    held = UserTask.objects.filter(assignee=absence.user, status=TaskStatus.ASSIGNED)
    for task_id in held.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                task_release(task_id=task_id, user=absence.user)
            count += 1
        except InboxError as exc:  # e.g. an engine that cannot release: the task stays
            log.info("absence %s: task %s kept: %s", absence.pk, task_id, exc)
    absence.returned_at = timezone.now()
    absence.save(update_fields=["returned_at"])
    return count
