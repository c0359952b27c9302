"""The bridge's admin routes (inbox admins, else 403): every task, task types, overrides,
groups and users."""

from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.response import Response

from accounts.models import User
from inbox import lifecycle
from inbox.api.littlehorse.base import (
    AdminBridgeView,
    bridge_task,
    find_group,
    find_user,
    int_param,
    required_param,
)
from inbox.api.littlehorse.shapes import lh_detailed_task, lh_group, lh_user
from inbox.api.littlehorse.views import task_page_response
from inbox.api.selectors import task_type_page
from inbox.errors import NotFound, ValidationError


class AdminTaskListView(AdminBridgeView):
    """``GET /admin/tasks?type=`` (required): every task of that type."""

    def get(self, request, tenant_id):
        params = request.query_params
        required_param(params, "type")
        limit = int_param(params, "limit", default=settings.INBOX_PAGE_SIZE)
        return task_page_response(request.user, params, scope="all", limit=limit, allow_user=True)


class AdminTaskTypeListView(AdminBridgeView):
    """``GET /admin/taskTypes``: ``{"userTaskDefNames": [...], "bookmark"?}``."""

    def get(self, request, tenant_id):
        params = request.query_params
        names, bookmark = task_type_page(
            limit=int_param(params, "limit", default=settings.INBOX_PAGE_SIZE),
            bookmark=(params.get("bookmark") or "").strip() or None,
        )
        body = {"userTaskDefNames": names}
        if bookmark:
            body["bookmark"] = bookmark
        return Response(body)


class AdminTaskDetailView(AdminBridgeView):
    """``GET /admin/tasks/{wf_run_id}/{guid}``: the task with its events."""

    def get(self, request, tenant_id, wf_run_id, guid):
        task = bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        return Response(lh_detailed_task(task, with_events=True))


class AdminTaskResultView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/result``: complete any open task (204)."""

    status_overrides = {"task_state": 412}

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_admin_complete(task_id=guid, actor=request.user, results=request.data)
        return Response(status=204)


class AdminTaskCancelView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/cancel``: cancel any open task (204; terminal: 403)."""

    status_overrides = {"task_state": 403}

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_admin_cancel(task_id=guid, actor=request.user)
        return Response(status=204)


class AdminTaskClaimView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/claim``: the admin takes the task, whoever held it."""

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        lifecycle.task_assign(task_id=guid, actor=request.user, user=request.user)
        return Response(status=204)


class AdminTaskAssignView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/assign {userId?, userGroup?}``: 204; both empty: 400;
    an unknown user or group: 409."""

    def post(self, request, tenant_id, wf_run_id, guid):
        bridge_task(user=request.user, wf_run_id=wf_run_id, guid=guid)
        data = request.data if isinstance(request.data, dict) else {}
        user_ref = _text(data.get("userId"))
        group_ref = _text(data.get("userGroup") or data.get("userGroupId"))
        if not user_ref and not group_ref:
            raise ValidationError(
                "Give userId or userGroup.",
                fields={"userId": ["Give a user or a group."], "userGroup": ["Give one."]},
            )
        user = find_user(user_ref) if user_ref else None
        group = find_group(group_ref) if group_ref else None
        lifecycle.task_assign(
            task_id=guid,
            actor=request.user,
            # Unknown references go on to the lifecycle, which answers with an assignment error.
            user=user or user_ref or None,
            group=group or group_ref or None,
        )
        return Response(status=204)


def _text(value) -> str:
    if isinstance(value, dict):  # {"id": ...} as the bridge returns groups and users
        value = value.get("id") or value.get("name") or value.get("username")
    return str(value).strip() if value not in (None, "") else ""


class AdminGroupListView(AdminBridgeView):
    """``GET /admin/groups``: every group."""

    def get(self, request, tenant_id):
        return Response({"groups": [lh_group(g) for g in Group.objects.order_by("name")]})


class AdminUserListView(AdminBridgeView):
    """``GET /admin/users?email&first_name&last_name&username&user_group_id&first_result&
    max_results``: ``{"users": [User]}``."""

    FILTERS = {"email": "email", "first_name": "first_name", "last_name": "last_name"}

    def get(self, request, tenant_id):
        params = request.query_params
        qs = User.objects.order_by("id")
        for param, field in self.FILTERS.items():
            if params.get(param):
                qs = qs.filter(**{f"{field}__iexact": params[param].strip()})
        if params.get("username"):
            qs = qs.filter(username__icontains=params["username"].strip())
        if params.get("user_group_id"):
            group = find_group(params["user_group_id"].strip())
            qs = qs.filter(groups=group) if group else qs.none()
        first = int_param(params, "first_result", default=0)
        count = int_param(params, "max_results", default=100)
        return Response({"users": [lh_user(u) for u in qs[first : first + count]]})


class AdminUserDetailView(AdminBridgeView):
    """``GET /admin/users/{user_id}``: one user (by id or username)."""

    def get(self, request, tenant_id, user_id):
        user = find_user(user_id)
        if user is None:
            raise NotFound("No such user")
        return Response(lh_user(user))
