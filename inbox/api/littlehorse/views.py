"""The bridge's user routes: init, list, claimable, detail, result, cancel, claim, comments,
groups, userInfo. Reads and checks follow the bridge's ``UserController``/``UserTaskService``;
writes go through ``inbox.lifecycle`` (each call its own transaction, or one ``atomic`` block
when a route is two lifecycle steps)."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from rest_framework.response import Response

from inbox import lifecycle
from inbox.api.littlehorse.base import (
    BridgeError,
    BridgeView,
    check_not_terminal,
    filter_params,
    find_group,
    find_task,
    int_param,
    is_number,
    required_param,
    seen_task,
    user_task,
)
from inbox.api.littlehorse.docs import (
    LIST_PARAMS,
    RESULTS,
    AuditEventSerializer,
    CommentSerializer,
    DetailedTaskSerializer,
    GroupListSerializer,
    TaskListSerializer,
    UserSerializer,
    bridge_schema,
)
from inbox.api.littlehorse.shapes import (
    lh_comments,
    lh_detailed_task,
    lh_event,
    lh_group,
    lh_task_list,
    lh_user,
)
from inbox.errors import ValidationError
from inbox.models import Comment, TaskEvent, TaskStatus
from inbox.queries import TaskFilters, task_page


def empty(status: int) -> HttpResponse:
    """A body-less answer without a Content-Type, as Spring sends for ``void`` handlers (the
    bridge's client only parses bodies it is told are JSON)."""
    response = HttpResponse(status=status)
    del response["Content-Type"]
    return response


def caller_group(user, params, *, required: bool):
    """``user_group_id`` (the group's id or name): 403 when it is not one of the caller's
    groups (the bridge's ``validateUserGroup``); None when absent and optional."""
    ref = required_param(params, "user_group_id") if required else None
    if ref is None:
        ref = (params.get("user_group_id") or "").strip()
        if not ref:
            return None
    group = find_group(ref)
    if group is None or group.pk not in user.group_ids():
        raise BridgeError(403, "Cannot access requested group.", code="forbidden")
    return group


def page_response(user, params, *, scope: str, filters: dict) -> Response:
    page = task_page(
        user,
        scope=scope,
        filters=TaskFilters.from_params(filters),
        limit=int_param(params, "limit", required=True),
        bookmark=(params.get("bookmark") or "").strip() or None,
    )
    return Response(lh_task_list(page.tasks, page.bookmark))


class InitView(BridgeView):
    """``GET /init``: the tenant and the caller's credentials are good (200, no body)."""

    @bridge_schema("Check the tenant and the credentials", None)
    def get(self, request, tenant_id):
        return empty(200)


class TaskListView(BridgeView):
    """``GET /tasks?limit=`` (required): the caller's own tasks (any status), or with
    ``status=UNASSIGNED`` and ``user_group_id`` the group's unassigned ones; ``user_group_id``
    must be one of the caller's groups (else 403)."""

    @bridge_schema(
        "The caller's tasks",
        TaskListSerializer,
        400,
        403,
        query=("limit", "bookmark", *LIST_PARAMS),
        required=("limit",),
    )
    def get(self, request, tenant_id):
        params = request.query_params
        int_param(params, "limit", required=True)
        filters = filter_params(params, allow_user=False)
        group = caller_group(request.user, params, required=False)
        scope = "own"
        if group is not None and filters.get("status") == TaskStatus.UNASSIGNED:
            scope = "claimable"
        return page_response(request.user, params, scope=scope, filters=filters)


class ClaimableTaskListView(BridgeView):
    """``GET /tasks/claimable?user_group_id=&limit=`` (both required): the unassigned tasks of
    one of the caller's groups (another group: 403)."""

    @bridge_schema(
        "Unassigned tasks of one of the caller's groups",
        TaskListSerializer,
        400,
        403,
        query=("user_group_id", "limit", "bookmark", "earliest_start_date", "latest_start_date"),
        required=("user_group_id", "limit"),
    )
    def get(self, request, tenant_id):
        params = request.query_params
        caller_group(request.user, params, required=True)
        int_param(params, "limit", required=True)
        filters = filter_params(params, allow_user=False)
        filters.pop("type", None)
        filters["status"] = TaskStatus.UNASSIGNED
        return page_response(request.user, params, scope="claimable", filters=filters)


class TaskDetailView(BridgeView):
    """``GET /tasks/{wf_run_id}/{guid}``: the task with its fields and results (absent: 404;
    another user's: 401)."""

    @bridge_schema("A task with its fields and results", DetailedTaskSerializer, 404)
    def get(self, request, tenant_id, wf_run_id, guid):
        task = user_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        return Response(lh_detailed_task(task, with_events=False))


def results_body(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError(
            "The results must be an object of {name: {type, value}}.",
            fields={"results": ["Send a JSON object."]},
        )
    return data


class TaskResultView(BridgeView):
    """``POST .../result`` ``{field: {type, value}}``: complete the caller's task, or an
    unassigned task of one of the caller's groups (claimed and completed at once) (204; bad
    values 400; another user's 401; DONE/CANCELLED 403)."""

    @bridge_schema("Complete a task", None, 400, 403, 404, ok_status=204, request=RESULTS)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = user_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        check_not_terminal(task, "complete")
        results = results_body(request.data)
        with transaction.atomic():
            if task.status == TaskStatus.UNASSIGNED:
                lifecycle.task_claim(task_id=task.id, user=request.user)
            lifecycle.task_complete(task_id=task.id, user=request.user, results=results)
        return empty(204)


class TaskCancelView(BridgeView):
    """``POST .../cancel``: cancel the caller's task, or an unassigned task of one of the
    caller's groups (claimed and cancelled at once, as a member may in two steps) (204; another
    user's 401; DONE/CANCELLED 403)."""

    @bridge_schema("Cancel a task", None, 403, 404, ok_status=204)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = user_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        check_not_terminal(task, "cancel")
        with transaction.atomic():
            if task.status == TaskStatus.UNASSIGNED and not request.user.is_inbox_admin:
                lifecycle.task_claim(task_id=task.id, user=request.user)
            lifecycle.task_cancel(task_id=task.id, user=request.user)
        return empty(204)


class TaskClaimView(BridgeView):
    """``POST .../claim``: claim an unassigned task of one of the caller's groups (204; any
    other task: 409 "UserTaskRun cannot be claimed!")."""

    status_overrides = {"assignment": 409, "task_state": 409}

    @bridge_schema(
        "Claim an unassigned task of one of the caller's groups", None, 404, 409, ok_status=204
    )
    def post(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        claimable = (
            task.status == TaskStatus.UNASSIGNED
            and task.group_id is not None
            and task.group_id in request.user.group_ids()
        )
        if not claimable:
            raise BridgeError(409, "UserTaskRun cannot be claimed!", code="assignment")
        lifecycle.task_claim(task_id=task.id, user=request.user)
        return empty(204)


def comment_text(data) -> str:
    text = data.get("comment") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("comment is required", fields={"comment": ["Write something."]})
    return text


def comment_event(task_id, comment_id: int, kind: str) -> dict:
    """The audit event the change just recorded, as the bridge answers it."""
    event = (
        TaskEvent.objects.select_related("actor")
        .filter(task_id=task_id, kind=kind, data__comment_id=comment_id)
        .order_by("-created_at", "-id")
        .first()
    )
    return lh_event(event)


def comment_id_param(raw: str) -> int:
    if not is_number(raw):
        raise ValidationError(
            "Invalid comment_id", fields={"comment_id": ["Must be a whole number."]}
        )
    return int(raw)


def check_comment_live(task, comment_id: int) -> None:
    """404 for no such comment on the task; 409 for a deleted one (the kernel's
    FAILED_PRECONDITION, as the bridge answers it)."""
    comment = Comment.objects.filter(pk=comment_id, task=task).first()
    if comment is None:
        raise BridgeError(404, "Comment does not exist", code="not_found")
    if comment.deleted:
        raise BridgeError(409, "The comment has already been deleted.", code="conflict")


class CommentAddView(BridgeView):
    """``POST .../comment {comment}``: whoever may see the task in the inbox (the bridge lets
    anyone); answers the ``COMMENT_ADDED`` audit event."""

    @bridge_schema("Comment on a task", AuditEventSerializer, 400, 404, request=CommentSerializer)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = seen_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        comment = lifecycle.comment_add(
            task_id=task.id, user=request.user, text=comment_text(request.data)
        )
        return Response(comment_event(task.id, comment.pk, TaskEvent.Kind.COMMENT_ADDED))


class CommentItemView(BridgeView):
    """``PUT|DELETE .../comment/{comment_id}``: the author edits or deletes a comment (someone
    else's: 403; already deleted: 409); answers the audit event."""

    @bridge_schema(
        "Edit one's comment", AuditEventSerializer, 400, 403, 404, 409, request=CommentSerializer
    )
    def put(self, request, tenant_id, wf_run_id, guid, comment_id):
        task = seen_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        cid = comment_id_param(comment_id)
        text = comment_text(request.data)
        check_comment_live(task, cid)
        lifecycle.comment_edit(task_id=task.id, comment_id=cid, user=request.user, text=text)
        return Response(comment_event(task.id, cid, TaskEvent.Kind.COMMENT_EDITED))

    @bridge_schema("Delete one's comment", AuditEventSerializer, 400, 403, 404, 409)
    def delete(self, request, tenant_id, wf_run_id, guid, comment_id):
        task = seen_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        cid = comment_id_param(comment_id)
        check_comment_live(task, cid)
        lifecycle.comment_delete(task_id=task.id, comment_id=cid, user=request.user)
        return Response(comment_event(task.id, cid, TaskEvent.Kind.COMMENT_DELETED))


class CommentListView(BridgeView):
    """``GET .../comments``: the latest audit event of each comment, deleted ones included;
    204 when the task has none."""

    @bridge_schema(
        "The latest event of each comment (204: none)", AuditEventSerializer(many=True), 404
    )
    def get(self, request, tenant_id, wf_run_id, guid):
        task = seen_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        comments = lh_comments(task)
        if not comments:
            return empty(204)
        return Response(comments)


class GroupListView(BridgeView):
    """``GET /groups``: the caller's groups."""

    @bridge_schema("The caller's groups", GroupListSerializer)
    def get(self, request, tenant_id):
        groups = Group.objects.filter(pk__in=request.user.group_ids()).order_by("name")
        return Response({"groups": [lh_group(g) for g in groups]})


class UserInfoView(BridgeView):
    """``GET /userInfo``: the caller."""

    @bridge_schema("The caller", UserSerializer)
    def get(self, request, tenant_id):
        return Response(lh_user(request.user))
