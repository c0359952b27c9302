"""Who may see what (DESIGN §6).

A staff user sees the tasks assigned to them (any status, so their history too) and the tasks of
their groups; admins see everything. Invisible is indistinguishable from absent. Read-only: any
layer may call these; nothing here locks or writes.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from inbox.models import Case, TaskEvent, TaskStatus, UserTask


def can_see_task(user: User, task: UserTask) -> bool:
    return (
        user.is_inbox_admin
        or (task.assignee_id is not None and task.assignee_id == user.pk)
        or (task.group_id is not None and task.group_id in user.group_ids())
    )


def visible_tasks(user: User) -> QuerySet[UserTask]:
    """Every task ``user`` may see, as one queryset (for lookups and small sets)."""
    if user.is_inbox_admin:
        return UserTask.objects.all()
    return UserTask.objects.filter(Q(assignee=user) | Q(group_id__in=user.group_ids()))


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case ``user`` may see: admins all; staff the cases holding a task they can see.

    One ``EXISTS`` per branch (``assignee = user``, ``group_id IN user's groups``), each a probe of
    the (case, created_at) index narrowed by the branch's column, rather than one ``OR`` that
    the planner cannot split."""
    cases = Case.objects.select_related("source")
    if user.is_inbox_admin:
        return cases
    of_case = UserTask.objects.filter(case=OuterRef("pk"))
    visible = Q(Exists(of_case.filter(assignee=user)))
    group_ids = user.group_ids()
    if group_ids:
        visible |= Q(Exists(of_case.filter(group_id__in=group_ids)))
    return cases.filter(visible)


def claimable_tasks(user: User, group=None) -> QuerySet[UserTask]:
    """UNASSIGNED tasks in the user's groups (or in ``group``, when it is one of them)."""
    group_ids = user.group_ids()
    if group is not None:
        gid = getattr(group, "pk", group)
        group_ids = [g for g in group_ids if g == gid]
    return UserTask.objects.filter(status=TaskStatus.UNASSIGNED, group_id__in=group_ids)


def holds_open_tasks(user: User) -> bool:
    """Whether ``user`` holds any open (ASSIGNED) task: what My tasks would list."""
    return UserTask.objects.filter(assignee=user, status=TaskStatus.ASSIGNED).exists()


def finished_by_others(user: User, task_ids) -> dict:
    """For the History list: which of ``task_ids`` someone other than ``user`` completed or
    cancelled (an admin's override), as ``{task_id: their username}``. One query."""
    rows = (
        TaskEvent.objects.filter(
            task_id__in=list(task_ids),
            kind__in=(TaskEvent.Kind.COMPLETED, TaskEvent.Kind.CANCELLED),
            actor__isnull=False,
        )
        .exclude(actor=user)
        .values_list("task_id", "actor__username")
    )
    return dict(rows)
