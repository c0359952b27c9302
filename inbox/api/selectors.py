"""Reads that only the API needs: a task with its comments and history, visible cases, and
simple keyset pages of users, groups, task types and cases. Task lists use ``inbox.queries``.
"""

import uuid
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import ApiToken, User
from inbox.case_pages import case_page_by_start
from inbox.errors import NotFound
from inbox.models import Case, Comment, OutboxCommand, Stage, TaskEvent, UserTask
from inbox.queries import can_see_task, decode_key, encode_key, task_types_after, visible_cases

# --- tasks --------------------------------------------------------------------------------------


def _task_detail_qs() -> QuerySet[UserTask]:
    return UserTask.objects.select_related("assignee", "group", "case", "source").prefetch_related(
        Prefetch(
            "comments",
            queryset=Comment.objects.filter(deleted=False).select_related("author"),
            to_attr="visible_comments",
        ),
        Prefetch(
            "events",
            queryset=TaskEvent.objects.select_related("actor", "actor_source"),
            to_attr="event_list",
        ),
        Prefetch(
            "outbox",
            queryset=OutboxCommand.objects.select_related("requested_by").order_by("id"),
            to_attr="write_back_list",
        ),
    )


def _task_pk(task_id: Any) -> uuid.UUID:
    try:
        return task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound("No such task") from None


def task_detail_get(*, user: User | None, task_id: Any) -> UserTask:
    """The task with comments and events; NotFound when absent or invisible to ``user``
    (``user=None`` skips the visibility check: only after a write the caller just made)."""
    task = _task_detail_qs().filter(pk=_task_pk(task_id)).first()
    if task is None or (user is not None and not can_see_task(user, task)):
        raise NotFound("No such task")
    return task


def task_visible_get(*, user: User, task_id: Any) -> UserTask:
    task = UserTask.objects.filter(pk=_task_pk(task_id)).first()
    if task is None or not can_see_task(user, task):
        raise NotFound("No such task")
    return task


def task_comments(*, user: User, task_id: Any) -> list[Comment]:
    task = task_visible_get(user=user, task_id=task_id)
    return list(Comment.objects.filter(task=task, deleted=False).select_related("author"))


# --- simple keyset pages (bookmarks from inbox.queries) -----------------------------------------


def _page(rows: list, limit: int, key) -> tuple[list, str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_key(key(rows[-1])) if more and rows else None)


# --- users and groups -----------------------------------------------------------------------------


def admin_user_ids(user_ids: list[int]) -> set[int]:
    """Which of these users are inbox admins, in one query."""
    perm = Permission.objects.filter(codename="administer_tasks", content_type__app_label="inbox")
    return set(
        User.objects.filter(pk__in=user_ids, is_active=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=perm) | Q(groups__permissions__in=perm)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def decorate_users(users: list[User]) -> list[User]:
    admins = admin_user_ids([u.pk for u in users])
    for user in users:
        user.group_list = list(user.groups.all())
        user._is_inbox_admin = user.pk in admins
    return users


def user_page(*, filters: dict[str, str], limit: int, bookmark: str | None):
    qs = User.objects.order_by("id").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )
    for name in ("username", "email", "first_name", "last_name"):
        if filters.get(name):
            qs = qs.filter(**{f"{name}__iexact": filters[name]})
    if filters.get("group"):
        qs = qs.filter(groups__name=filters["group"])
    if bookmark:
        qs = qs.filter(id__gt=decode_key(bookmark, int))
    users, next_bookmark = _page(list(qs[: limit + 1]), limit, lambda u: u.pk)
    return decorate_users(users), next_bookmark


def group_page(*, limit: int, bookmark: str | None):
    qs = Group.objects.order_by("name")
    if bookmark:
        qs = qs.filter(name__gt=decode_key(bookmark, str))
    return _page(list(qs[: limit + 1]), limit, lambda g: g.name)


def task_type_page(*, limit: int, bookmark: str | None):
    after = decode_key(bookmark, str) if bookmark else None
    return _page(task_types_after(after, limit=limit + 1), limit, lambda name: name)


def token_list(*, user: User) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(user=user).prefetch_related("groups").order_by("-created_at", "-id")
    )


def token_get(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound("No such token")
    return token


# --- cases -----------------------------------------------------------------------------------------


def case_page(*, user: User, filters: dict[str, str], limit: int, bookmark: str | None):
    """Most recently started first, keyset on (started_at, id) (inbox.case_pages)."""
    qs = visible_cases(user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("source"):
        qs = qs.filter(source__name=filters["source"])
    if filters.get("q"):
        qs = qs.filter(name__icontains=filters["q"])
    return case_page_by_start(qs, limit=limit, bookmark=bookmark)


def case_get(*, user: User, case_id: int) -> Case:
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case")
    return case


def case_detail_get(*, user: User, case_id: int) -> Case:
    """The case with its stages; each listed stage task that matches a task the caller may see
    (by external id, or by the inbox id) carries it as ``inbox_task``."""
    from inbox.cases import supported_case_actions
    from inbox.queries import visible_tasks

    case = case_get(user=user, case_id=case_id)
    case.stage_list = list(Stage.objects.filter(case=case).order_by("position", "id"))
    tasks = visible_tasks(user).filter(case=case).only("id", "external_id", "title", "status")
    by_key = {}
    for task in tasks:
        ref = {"id": str(task.id), "title": task.title, "status": task.status}
        by_key[task.external_id] = ref
        by_key[str(task.id)] = ref
    for stage in case.stage_list:
        listed = []
        for entry in stage.tasks if isinstance(stage.tasks, list) else []:
            if isinstance(entry, dict):
                key = next(
                    (str(entry[k]) for k in ("external_id", "id", "task_id") if k in entry), None
                )
                entry = {**entry, "inbox_task": by_key.get(key)}
            listed.append(entry)
        stage.listed_tasks = listed
    case.supported_actions = sorted(supported_case_actions(case))
    return case
