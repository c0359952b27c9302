"""Creating tasks: through the API on the local source, or for the importer."""

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.errors import (
    Forbidden,
    ValidationError,
)
from inbox.fields import validate_field_definitions
from inbox.lifecycle.away import route_assignee
from inbox.lifecycle.core import (
    Kind,
    append_event,
    check_admin,
    group_ref,
    local_source,
    resolve_group,
    resolve_user,
    user_ref,
)
from inbox.lifecycle.hooks import tasks_touched
from inbox.models import (
    Source,
    TaskStatus,
    UserTask,
)


@transaction.atomic
def task_create(
    *,
    title: str,
    task_type: str,
    actor: User | None = None,
    source: Source | None = None,
    external_id: str | None = None,
    wf_run_id: str | None = None,
    group: Group | str | int | None = None,
    user: User | str | int | None = None,
    fields: Iterable[dict] | None = None,
    context: dict | None = None,
    description: str = "",
    priority: int = 0,
    due_at=None,
    case=None,
    created_at=None,
    creator_groups: set[str] | None = None,
) -> UserTask:
    """Create a task: on the local source through the API (``actor`` must be an admin, unless
    ``creator_groups`` names the groups a task-creator token may create in), or on an engine's
    source from the importer (``actor`` None). ASSIGNED when a user is given (to their substitute while they are away)."""
    if actor is not None and creator_groups is None:
        check_admin(actor)
    errors: dict[str, list[str]] = {}
    if not str(title or "").strip():
        errors["title"] = ["A title is required."]
    elif len(title) > 500:
        errors["title"] = ["At most 500 characters."]
    if not str(task_type or "").strip():
        errors["type"] = ["A task type is required."]
    if context is not None and not isinstance(context, dict):
        errors["context"] = ["Expected an object of variables."]
    if not isinstance(priority, int) or isinstance(priority, bool):
        errors["priority"] = ["Must be a whole number."]
    if errors:
        raise ValidationError("Some values are invalid", fields=errors)
    definitions = validate_field_definitions(list(fields) if fields is not None else [])
    source = source or local_source()
    new_user, new_group = resolve_user(user), resolve_group(group)
    new_user, away_for = route_assignee(new_user)  # someone away: their substitute
    if creator_groups is not None and (new_group is None or new_group.name not in creator_groups):
        allowed = ", ".join(sorted(creator_groups)) or "none"
        raise Forbidden(f"This token may create tasks only in its groups ({allowed}).")
    now = timezone.now()
    task_uuid = uuid.uuid4()
    task = UserTask.objects.create(
        id=task_uuid,
        source=source,
        external_id=external_id or str(task_uuid),
        wf_run_id=wf_run_id or (case.external_id if case else str(uuid.uuid4())),
        case=case,
        task_type=task_type.strip(),
        title=title.strip(),
        description=description or "",
        status=TaskStatus.ASSIGNED if new_user else TaskStatus.UNASSIGNED,
        assignee=new_user,
        group=new_group,
        priority=priority,
        due_at=due_at,
        fields=definitions,
        context=context or {},
        created_at=min(created_at or now, now),  # never in the future
        updated_at=now,
    )
    append_event(
        task,
        Kind.CREATED,
        actor=actor,
        source=None if actor else source,
        user=user_ref(new_user),
        group=group_ref(new_group),
        **({"away_for": user_ref(away_for)} if away_for else {}),
    )
    tasks_touched.send(sender=UserTask, tasks=[task], engine_due=True)  # SLA policies
    return task
