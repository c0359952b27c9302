"""The bridge's user routes: list, claimable, detail, result, cancel, claim, comments, groups,
userInfo. Writes go through ``inbox.lifecycle``."""

from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.response import Response

from inbox import lifecycle
from inbox.api.littlehorse.base import (
    BridgeView,
    bridge_task,
    filter_params,
    int_param,
    required_param,
)
from inbox.api.littlehorse.shapes import (
    lh_comment,
    lh_detailed_task,
    lh_group,
    lh_simple_task,
    lh_user,
)
from inbox.errors import ValidationError
from inbox.models import Comment
from inbox.queries import TaskFilters, task_page


def task_page_response(user, params, *, scope: str, limit: int, allow_user: bool) -> Response:
    filters = TaskFilters.from_params(filter_params(params, allow_user=allow_user))
    page = task_page(
        user,
        scope=scope,
        filters=filters,
        limit=limit,
        bookmark=(params.get("bookmark") or "").strip() or None,
    )
    body = {"userTasks": [lh_simple_task(t) for t in page.tasks]}
    if page.bookmark:
        body["bookmark"] = page.bookmark
    return Response(body)


class TaskListView(BridgeView):
    """``GET /tasks?limit=`` (required): tasks the caller may see."""

    def get(self, request, tenant_id):
        limit = int_param(request.query_params, "limit", required=True)
        return task_page_response(
            request.user, request.query_params, scope="visible", limit=limit, allow_user=False
        )


class ClaimableTaskListView(BridgeView):
    """``GET /tasks/claimable?user_group_id=`` (required): unassigned tasks of that group."""

    def get(self, request, tenant_id):
        params = request.query_params
        required_param(params, "user_group_id")
        limit = int_param(params, "limit", default=settings.INBOX_PAGE_SIZE)
        return task_page_response(
            request.user, params, scope="claimable", limit=limit, allow_user=False
        )


class TaskDetailView(BridgeView):
    """``GET /tasks/{wf_run_id}/{guid}``: the task with its fields and results."""

    def get(self, request, tenant_id, wf_run_id, guid):
        task = bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        return Response(lh_detailed_task(task, with_events=False))


class TaskResultView(BridgeView):
    """``POST .../result`` ``{field: {type, value}}``: the assignee completes it (204; bad
    values 400; not completable 412)."""

    status_overrides = {"task_state": 412}

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_complete(task_id=guid, user=request.user, results=request.data)
        return Response(status=204)


class TaskCancelView(BridgeView):
    """``POST .../cancel``: the assignee (admins: anyone) cancels it (204; terminal: 403)."""

    status_overrides = {"task_state": 403}

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_cancel(task_id=guid, user=request.user)
        return Response(status=204)


class TaskClaimView(BridgeView):
    """``POST .../claim``: a member of the task's group claims it (204; cannot: 409)."""

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_claim(task_id=guid, user=request.user)
        return Response(status=204)


def _comment_text(data) -> str:
    text = data.get("comment") if isinstance(data, dict) else None
    if not isinstance(text, str):
        raise ValidationError("comment is required", fields={"comment": ["Write something."]})
    return text


class CommentAddView(BridgeView):
    """``POST .../comment {comment}``: anyone who may see the task; answers the audit event."""

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        comment = lifecycle.comment_add(
            task_id=guid, user=request.user, text=_comment_text(request.data)
        )
        return Response(lh_comment(comment))


class CommentItemView(BridgeView):
    """``PUT|DELETE .../comment/{comment_id}``: the author edits or deletes a comment."""

    def put(self, request, tenant_id, wf_run_id, guid, comment_id):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        comment = lifecycle.comment_edit(
            task_id=guid, comment_id=comment_id, user=request.user, text=_comment_text(request.data)
        )
        return Response(lh_comment(comment, "COMMENT_EDITED"))

    def delete(self, request, tenant_id, wf_run_id, guid, comment_id):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.comment_delete(task_id=guid, comment_id=comment_id, user=request.user)
        comment = Comment.objects.get(pk=int(comment_id))
        return Response(lh_comment(comment, "COMMENT_DELETED"))


class CommentListView(BridgeView):
    """``GET .../comments``: the live comments as audit events; 204 when there are none."""

    def get(self, request, tenant_id, wf_run_id, guid):
        task = bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        comments = task.visible_comments
        if not comments:
            return Response(status=204)
        return Response(
            [lh_comment(c, "COMMENT_EDITED" if c.edited_at else "COMMENT_ADDED") for c in comments]
        )


class GroupListView(BridgeView):
    """``GET /groups``: the caller's groups."""

    def get(self, request, tenant_id):
        groups = Group.objects.filter(pk__in=request.user.group_ids()).order_by("name")
        return Response({"groups": [lh_group(g) for g in groups]})


class UserInfoView(BridgeView):
    """``GET /userInfo``: the caller."""

    def get(self, request, tenant_id):
        return Response(lh_user(request.user))
