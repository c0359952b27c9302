"""Routes of the LittleHorse-bridge compatibility layer, mounted at ``/littlehorse/``, and its
own OpenAPI schema (``/littlehorse/schema/``, Swagger UI at ``/littlehorse/docs/``)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from inbox.api.littlehorse import admin, management, views
from inbox.api.littlehorse.base import BridgeNotFoundView
from inbox.api.littlehorse.schema import SCHEMA_SETTINGS

app_name = "littlehorse"

TASK = "<str:tenant_id>/tasks/<str:wf_run_id>/<str:guid>"
ADMIN_TASK = "<str:tenant_id>/admin/tasks/<str:wf_run_id>/<str:guid>"
USERS = "<str:tenant_id>/management/users"
GROUPS = "<str:tenant_id>/management/groups"

urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="littlehorse:schema"),
        name="docs",
    ),
    path("<str:tenant_id>/init", views.InitView.as_view(), name="init"),
    path("<str:tenant_id>/tasks", views.TaskListView.as_view(), name="tasks"),
    path(
        "<str:tenant_id>/tasks/claimable", views.ClaimableTaskListView.as_view(), name="claimable"
    ),
    path(TASK, views.TaskDetailView.as_view(), name="task"),
    path(f"{TASK}/result", views.TaskResultView.as_view(), name="result"),
    path(f"{TASK}/cancel", views.TaskCancelView.as_view(), name="cancel"),
    path(f"{TASK}/claim", views.TaskClaimView.as_view(), name="claim"),
    path(f"{TASK}/comment", views.CommentAddView.as_view(), name="comment-add"),
    path(f"{TASK}/comment/<str:comment_id>", views.CommentItemView.as_view(), name="comment"),
    path(f"{TASK}/comments", views.CommentListView.as_view(), name="comments"),
    path("<str:tenant_id>/groups", views.GroupListView.as_view(), name="groups"),
    path("<str:tenant_id>/userInfo", views.UserInfoView.as_view(), name="user-info"),
    path("<str:tenant_id>/admin/tasks", admin.AdminTaskListView.as_view(), name="admin-tasks"),
    path(
        "<str:tenant_id>/admin/taskTypes",
        admin.AdminTaskTypeListView.as_view(),
        name="admin-task-types",
    ),
    path(ADMIN_TASK, admin.AdminTaskDetailView.as_view(), name="admin-task"),
    path(f"{ADMIN_TASK}/result", admin.AdminTaskResultView.as_view(), name="admin-result"),
    path(f"{ADMIN_TASK}/assign", admin.AdminTaskAssignView.as_view(), name="admin-assign"),
    path(f"{ADMIN_TASK}/cancel", admin.AdminTaskCancelView.as_view(), name="admin-cancel"),
    path(f"{ADMIN_TASK}/claim", admin.AdminTaskClaimView.as_view(), name="admin-claim"),
    path("<str:tenant_id>/admin/groups", admin.AdminGroupListView.as_view(), name="admin-groups"),
    path("<str:tenant_id>/admin/users", admin.AdminUserListView.as_view(), name="admin-users"),
    path(
        "<str:tenant_id>/admin/users/<str:user_id>",
        admin.AdminUserDetailView.as_view(),
        name="admin-user",
    ),
    path(USERS, management.ManagedUserListView.as_view(), name="managed-users"),
    path(f"{USERS}/<str:user_id>", management.ManagedUserView.as_view(), name="managed-user"),
    path(
        f"{USERS}/<str:user_id>/password",
        management.ManagedUserPasswordView.as_view(),
        name="managed-user-password",
    ),
    path(
        f"{USERS}/<str:user_id>/roles/admin",
        management.ManagedUserAdminRoleView.as_view(),
        name="managed-user-admin",
    ),
    path(
        f"{USERS}/<str:user_id>/groups/<str:group_id>",
        management.ManagedUserGroupView.as_view(),
        name="managed-user-group",
    ),
    path(GROUPS, management.ManagedGroupListView.as_view(), name="managed-groups"),
    path(f"{GROUPS}/<str:group_id>", management.ManagedGroupView.as_view(), name="managed-group"),
    re_path(r"^(?P<tenant_id>[^/]+)/.*$", BridgeNotFoundView.as_view(), name="not-found"),
]
