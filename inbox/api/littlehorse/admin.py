"""The bridge's admin routes (inbox admins, else 403): every task, task types, overrides,
groups and users, with the bridge's ``AdminController`` status codes. Writes go through
``inbox.lifecycle``."""

from django.contrib.auth.models import Group
from rest_framework.response import Response

from accounts.models import User
from inbox import lifecycle
from inbox.api.littlehorse.base import (
    AdminBridgeView,
    BridgeError,
    check_not_terminal,
    filter_params,
    find_group,
    find_task,
    find_user,
    int_param,
    is_terminal,
    required_param,
)
from inbox.api.littlehorse.docs import (
    LIST_PARAMS,
    RESULTS,
    USER_QUERY,
    AssignSerializer,
    DetailedTaskSerializer,
    GroupListSerializer,
    TaskListSerializer,
    TaskTypesSerializer,
    UserListSerializer,
    UserSerializer,
    bridge_schema,
)
from inbox.api.littlehorse.shapes import lh_detailed_task, lh_group, lh_user
from inbox.api.littlehorse.views import empty, page_response, results_body
from inbox.api.selectors import task_type_page
from inbox.errors import NotFound, ValidationError


class AdminTaskListView(AdminBridgeView):
    """``GET /admin/tasks?type=&limit=`` (both required): every task of that type, filtered by
    ``status``, ``user_id``, ``user_group_id`` and start dates."""

    @bridge_schema(
        "Every task of a type",
        TaskListSerializer,
        400,
        403,
        query=("limit", "bookmark", "user_id", *LIST_PARAMS),
        required=("type", "limit"),
    )
    def get(self, request, tenant_id):
        params = request.query_params
        required_param(params, "type")
        int_param(params, "limit", required=True)
        filters = filter_params(params, allow_user=True)
        return page_response(request.user, params, scope="all", filters=filters)


class AdminTaskTypeListView(AdminBridgeView):
    """``GET /admin/taskTypes?limit=`` (required): ``{"userTaskDefNames", "bookmark"}``."""

    @bridge_schema(
        "Task types",
        TaskTypesSerializer,
        400,
        403,
        query=("limit", "bookmark"),
        required=("limit",),
    )
    def get(self, request, tenant_id):
        params = request.query_params
        names, bookmark = task_type_page(
            limit=int_param(params, "limit", required=True),
            bookmark=(params.get("bookmark") or "").strip() or None,
        )
        return Response({"userTaskDefNames": names, "bookmark": bookmark or None})


class AdminTaskDetailView(AdminBridgeView):
    """``GET /admin/tasks/{wf_run_id}/{guid}``: the task with its audit events."""

    @bridge_schema("A task with its audit events", DetailedTaskSerializer, 403, 404)
    def get(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        return Response(lh_detailed_task(task, with_events=True))


class AdminTaskResultView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/result``: complete any open task (204; bad values 400;
    DONE/CANCELLED 403)."""

    @bridge_schema("Complete any open task", None, 400, 403, 404, ok_status=204, request=RESULTS)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        check_not_terminal(task, "complete")
        results = results_body(request.data)
        lifecycle.task_admin_complete(task_id=task.id, actor=request.user, results=results)
        return empty(204)


class AdminTaskCancelView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/cancel``: cancel any open task (204; DONE/CANCELLED
    403)."""

    @bridge_schema("Cancel any open task", None, 403, 404, ok_status=204)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        check_not_terminal(task, "cancel")
        lifecycle.task_admin_cancel(task_id=task.id, actor=request.user)
        return empty(204)


class AdminTaskClaimView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/claim``: the admin takes any open task, whoever held it
    (DONE/CANCELLED: 409 "UserTaskRun cannot be claimed!")."""

    @bridge_schema("Take any open task", None, 403, 404, 409, ok_status=204)
    def post(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        if is_terminal(task):
            raise BridgeError(409, "UserTaskRun cannot be claimed!", code="assignment")
        lifecycle.task_assign(task_id=task.id, actor=request.user, user=request.user)
        return empty(204)


def _text(value) -> str:
    if isinstance(value, dict):  # {"id": ...} as the bridge returns groups and users
        value = value.get("id") or value.get("name") or value.get("username")
    if value is None or isinstance(value, bool | list | dict):
        return ""
    return str(value).strip()


class AdminTaskAssignView(AdminBridgeView):
    """``POST /admin/tasks/{wf}/{guid}/assign {userId?, userGroup?}`` (204). As the bridge:
    neither given, an unknown user or group, or a user outside the given group: 400; a
    DONE/CANCELLED task: 412."""

    @bridge_schema(
        "Assign a task to a user and/or group",
        None,
        400,
        403,
        404,
        412,
        ok_status=204,
        request=AssignSerializer,
    )
    def post(self, request, tenant_id, wf_run_id, guid):
        task = find_task(wf_run_id=wf_run_id, guid=guid)
        data = request.data if isinstance(request.data, dict) else {}
        user_ref = _text(data.get("userId"))
        group_ref = _text(data.get("userGroup") or data.get("userGroupId"))
        if not user_ref and not group_ref:
            raise ValidationError(
                "No valid arguments were received to complete reassignment.",
                fields={"userId": ["Give a user or a group."], "userGroup": ["Give one."]},
            )
        user = find_user(user_ref) if user_ref else None
        if user_ref and (user is None or not user.is_active):
            raise BridgeError(400, "Cannot assign Task to non-existent user.", code="validation")
        group = find_group(group_ref) if group_ref else None
        if group_ref and (group is None or (user and group.pk not in user.group_ids())):
            raise BridgeError(
                400,
                "Cannot assign Task to non-existent group, nor can the Task be assigned to an "
                "existing group that the requested user is not a member of.",
                code="validation",
            )
        if is_terminal(task):
            raise BridgeError(
                412,
                f"Couldn't reassign the UserTaskRun: it is already {task.status}.",
                code="precondition_failed",
            )
        lifecycle.task_assign(task_id=task.id, actor=request.user, user=user, group=group)
        return empty(204)


class AdminGroupListView(AdminBridgeView):
    """``GET /admin/groups``: every group."""

    @bridge_schema("Every group", GroupListSerializer, 403)
    def get(self, request, tenant_id):
        return Response({"groups": [lh_group(g) for g in Group.objects.order_by("name")]})


def user_search(params, *, active_only: bool):
    """The users matching the bridge's search parameters (``email``, ``first_name``,
    ``last_name``, ``username`` contain; ``user_group_id``), by id."""
    qs = User.objects.order_by("id")
    if active_only:
        qs = qs.filter(is_active=True)
    for param, field in (
        ("email", "email"),
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("username", "username"),
    ):
        value = (params.get(param) or "").strip()
        if value:
            qs = qs.filter(**{f"{field}__icontains": value})
    group_ref = (params.get("user_group_id") or "").strip()
    if group_ref:
        group = find_group(group_ref)
        qs = qs.filter(groups=group) if group else qs.none()
    first = int_param(params, "first_result", default=0)
    count = int_param(params, "max_results", default=10)
    return list(qs[first : first + count])


class AdminUserListView(AdminBridgeView):
    """``GET /admin/users?email&first_name&last_name&username&user_group_id&first_result&
    max_results`` (default 10): ``{"users": [User]}``."""

    @bridge_schema("Users", UserListSerializer, 400, 403, query=USER_QUERY)
    def get(self, request, tenant_id):
        return Response(
            {"users": [lh_user(u) for u in user_search(request.query_params, active_only=True)]}
        )


class AdminUserDetailView(AdminBridgeView):
    """``GET /admin/users/{user_id}``: one user (by id or username)."""

    @bridge_schema("One user", UserSerializer, 403, 404)
    def get(self, request, tenant_id, user_id):
        user = find_user(user_id)
        if user is None:
            raise NotFound("User could not be found.")
        return Response(lh_user(user))
