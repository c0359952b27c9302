"""The bridge's ``/management/users`` and ``/management/groups`` routes (inbox admins, else
403), on the inbox's own users and groups through ``directory`` (each change recorded)."""

from django.contrib.auth.models import Group
from rest_framework.response import Response

from accounts.models import User
from inbox.api.littlehorse import directory
from inbox.api.littlehorse.admin import user_search
from inbox.api.littlehorse.base import AdminBridgeView, find_group, int_param, is_number
from inbox.api.littlehorse.docs import (
    USER_QUERY,
    CreateUserSerializer,
    GroupNameSerializer,
    ManagedGroupListSerializer,
    ManagedUserListSerializer,
    ManagedUserSerializer,
    PasswordSerializer,
    UpdateUserSerializer,
    bridge_schema,
)
from inbox.api.littlehorse.shapes import lh_managed_group, lh_managed_user
from inbox.api.littlehorse.views import empty
from inbox.errors import NotFound, ValidationError

USER_NOT_FOUND = "User could not be found."


def body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError("Send a JSON object.")
    return request.data


def managed_user(user_id: str) -> User:
    user = User.objects.filter(pk=int(user_id)).first() if is_number(user_id) else None
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


def managed_group(group_id: str) -> Group:
    group = Group.objects.filter(pk=int(group_id)).first() if is_number(group_id) else None
    if group is None:
        raise NotFound("Group could not be found.")
    return group


def flag(params, name: str) -> bool:
    raw = (params.get(name) or "false").strip().lower()
    if raw not in ("true", "false"):
        raise ValidationError(f"Invalid {name}", fields={name: ["Use true or false."]})
    return raw == "true"


class ManagedUserListView(AdminBridgeView):
    """``GET /management/users?email&first_name&last_name&username&user_group_id&first_result&
    max_results`` (default 10): ``{"users": [IDPUser]}``; ``POST {firstName, lastName,
    username, email}``: create (201; taken username or email: 409)."""

    @bridge_schema(
        "Users with groups and roles", ManagedUserListSerializer, 400, 403, query=USER_QUERY
    )
    def get(self, request, tenant_id):
        params = request.query_params
        searched = any(
            (params.get(p) or "").strip() for p in ("email", "first_name", "last_name", "username")
        )
        if searched and (params.get("user_group_id") or "").strip():
            raise ValidationError(
                "Combination of userGroup + other filters (username/email/firstName/lastName) "
                "is not supported"
            )
        users = user_search(params, active_only=False)  # disabled ones too: to re-enable
        return Response({"users": [lh_managed_user(u) for u in users]})

    @bridge_schema(
        "Create a user", None, 400, 403, 409, ok_status=201, request=CreateUserSerializer
    )
    def post(self, request, tenant_id):
        directory.user_create(actor=request.user, data=body(request))
        return empty(201)


class ManagedUserView(AdminBridgeView):
    """``GET|PUT|DELETE /management/users/{user_id}``: read, update (``firstName``,
    ``lastName``, ``email``, ``enabled``), delete (``ignore_orphan_tasks``; yourself or a user
    holding tasks: 409; unknown: 400 as the bridge)."""

    @bridge_schema("One managed user", ManagedUserSerializer, 403, 404)
    def get(self, request, tenant_id, user_id):
        return Response(lh_managed_user(managed_user(user_id)))

    @bridge_schema(
        "Update a user", None, 400, 403, 404, 409, ok_status=204, request=UpdateUserSerializer
    )
    def put(self, request, tenant_id, user_id):
        user = managed_user(user_id)
        directory.user_update(actor=request.user, user=user, data=body(request))
        return empty(204)

    @bridge_schema(
        "Delete a user", None, 400, 403, 409, ok_status=204, query=("ignore_orphan_tasks",)
    )
    def delete(self, request, tenant_id, user_id):
        ignore = flag(request.query_params, "ignore_orphan_tasks")
        user = User.objects.filter(pk=int(user_id)).first() if is_number(user_id) else None
        if user is None:
            raise ValidationError("No matching user found!")
        directory.user_delete(actor=request.user, user=user, ignore_orphan_tasks=ignore)
        return empty(204)


class ManagedUserPasswordView(AdminBridgeView):
    """``PUT /management/users/{user_id}/password {password, temporary?}``: set it through
    Django's password validators (weak: 400; unknown user: 404)."""

    @bridge_schema("Set a password", None, 400, 403, 404, ok_status=204, request=PasswordSerializer)
    def put(self, request, tenant_id, user_id):
        user = managed_user(user_id)
        directory.user_set_password(actor=request.user, user=user, data=body(request))
        return empty(204)


class ManagedUserAdminRoleView(AdminBridgeView):
    """``POST|DELETE /management/users/{user_id}/roles/admin``: give or take the inbox admin
    permission (yourself: 409 on DELETE)."""

    @bridge_schema("Make a user an inbox admin", None, 403, 404, ok_status=204)
    def post(self, request, tenant_id, user_id):
        directory.user_set_admin(actor=request.user, user=managed_user(user_id), admin=True)
        return empty(204)

    @bridge_schema("Take the admin role", None, 403, 404, 409, ok_status=204)
    def delete(self, request, tenant_id, user_id):
        directory.user_set_admin(actor=request.user, user=managed_user(user_id), admin=False)
        return empty(204)


class ManagedUserGroupView(AdminBridgeView):
    """``POST|DELETE /management/users/{user_id}/groups/{group_id}``: join or leave (unknown
    user or group: 404)."""

    def _pair(self, user_id, group_id):
        user = User.objects.filter(pk=int(user_id)).first() if is_number(user_id) else None
        group = find_group(group_id) if user else None
        if user is None or group is None:
            raise NotFound("User or Group could not be found.")
        return user, group

    @bridge_schema("Add a user to a group", None, 403, 404, ok_status=204)
    def post(self, request, tenant_id, user_id, group_id):
        user, group = self._pair(user_id, group_id)
        directory.user_join_group(actor=request.user, user=user, group=group, join=True)
        return empty(204)

    @bridge_schema("Remove a user from a group", None, 403, 404, ok_status=204)
    def delete(self, request, tenant_id, user_id, group_id):
        user, group = self._pair(user_id, group_id)
        directory.user_join_group(actor=request.user, user=user, group=group, join=False)
        return empty(204)


class ManagedGroupListView(AdminBridgeView):
    """``GET /management/groups?name&first_result&max_results`` (default 10): ``{"groups":
    [{id, name}]}``; ``POST {name}``: create (201; blank 400; taken 409)."""

    @bridge_schema(
        "Groups",
        ManagedGroupListSerializer,
        400,
        403,
        query=("name", "first_result", "max_results"),
    )
    def get(self, request, tenant_id):
        params = request.query_params
        qs = Group.objects.order_by("name")
        name = (params.get("name") or "").strip()
        if name:
            qs = qs.filter(name__icontains=name)
        first = int_param(params, "first_result", default=0)
        count = int_param(params, "max_results", default=10)
        return Response({"groups": [lh_managed_group(g) for g in qs[first : first + count]]})

    @bridge_schema(
        "Create a group", None, 400, 403, 409, ok_status=201, request=GroupNameSerializer
    )
    def post(self, request, tenant_id):
        directory.group_create(actor=request.user, data=body(request))
        return empty(201)


class ManagedGroupView(AdminBridgeView):
    """``PUT /management/groups/{group_id}?ignore_orphan_tasks {name}``: rename; ``DELETE``:
    delete. Unclaimed tasks in the group without ``ignore_orphan_tasks``, or a taken name: 409."""

    @bridge_schema(
        "Rename a group",
        None,
        400,
        403,
        404,
        409,
        ok_status=204,
        request=GroupNameSerializer,
        query=("ignore_orphan_tasks",),
    )
    def put(self, request, tenant_id, group_id):
        group = managed_group(group_id)
        ignore = flag(request.query_params, "ignore_orphan_tasks")
        directory.group_rename(
            actor=request.user, group=group, data=body(request), ignore_orphan_tasks=ignore
        )
        return empty(204)

    @bridge_schema(
        "Delete a group", None, 400, 403, 404, 409, ok_status=204, query=("ignore_orphan_tasks",)
    )
    def delete(self, request, tenant_id, group_id):
        group = managed_group(group_id)
        ignore = flag(request.query_params, "ignore_orphan_tasks")
        directory.group_delete(actor=request.user, group=group, ignore_orphan_tasks=ignore)
        return empty(204)
