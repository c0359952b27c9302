"""Routes of the inbox's own REST API, mounted at ``/api/v1/``."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from inbox.api.views import (
    absences,
    admin,
    cases,
    comments,
    delegation,
    list_views,
    me,
    outbox,
    sources,
    tasks,
)
from inbox.api.views.fallback import ApiNotFound

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("me/", me.MeApi.as_view(), name="me"),
    path("me/tokens/", me.TokenCollectionApi.as_view(), name="tokens"),
    path("me/tokens/<int:token_id>/", me.TokenRevokeApi.as_view(), name="token"),
    path("me/absences/", absences.AbsenceCollectionApi.as_view(), name="absences"),
    path("me/absences/<int:absence_id>/", absences.AbsenceItemApi.as_view(), name="absence"),
    path("groups/", me.MyGroupListApi.as_view(), name="groups"),
    path("tasks/", tasks.TaskCollectionApi.as_view(), name="tasks"),
    path("tasks/claimable/", tasks.TaskClaimableApi.as_view(), name="tasks-claimable"),
    path("tasks/export/", list_views.TaskExportApi.as_view(), name="tasks-export"),
    path("views/", list_views.ListViewCollectionApi.as_view(), name="views"),
    path("views/<int:view_id>/", list_views.ListViewItemApi.as_view(), name="view"),
    path("tasks/<uuid:task_id>/", tasks.TaskDetailApi.as_view(), name="task"),
    path("tasks/<uuid:task_id>/claim/", tasks.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<uuid:task_id>/release/", tasks.TaskReleaseApi.as_view(), name="task-release"),
    path("tasks/<uuid:task_id>/complete/", tasks.TaskCompleteApi.as_view(), name="task-complete"),
    path(
        "tasks/<uuid:task_id>/delegate/",
        delegation.TaskDelegateApi.as_view(),
        name="task-delegate",
    ),
    path("tasks/<uuid:task_id>/cancel/", tasks.TaskCancelApi.as_view(), name="task-cancel"),
    path(
        "tasks/<uuid:task_id>/comments/",
        comments.CommentCollectionApi.as_view(),
        name="task-comments",
    ),
    path(
        "tasks/<uuid:task_id>/comments/<int:comment_id>/",
        comments.CommentItemApi.as_view(),
        name="task-comment",
    ),
    path("cases/", cases.CaseCollectionApi.as_view(), name="cases"),
    path("cases/<int:case_id>/", cases.CaseDetailApi.as_view(), name="case"),
    path("cases/<int:case_id>/history/", cases.CaseHistoryApi.as_view(), name="case-history"),
    path("cases/<int:case_id>/steps/", cases.CaseStepApi.as_view(), name="case-steps"),
    path("cases/<int:case_id>/tasks/", cases.CaseTaskListApi.as_view(), name="case-tasks"),
    path("cases/<int:case_id>/pause/", cases.CasePauseApi.as_view(), name="case-pause"),
    path("cases/<int:case_id>/resume/", cases.CaseResumeApi.as_view(), name="case-resume"),
    path("cases/<int:case_id>/close/", cases.CaseCloseApi.as_view(), name="case-close"),
    path("admin/tasks/", admin.AdminTaskListApi.as_view(), name="admin-tasks"),
    path("admin/tasks/<uuid:task_id>/", admin.AdminTaskDetailApi.as_view(), name="admin-task"),
    path(
        "admin/tasks/<uuid:task_id>/assign/",
        admin.AdminTaskAssignApi.as_view(),
        name="admin-task-assign",
    ),
    path(
        "admin/tasks/<uuid:task_id>/complete/",
        admin.AdminTaskCompleteApi.as_view(),
        name="admin-task-complete",
    ),
    path(
        "admin/tasks/<uuid:task_id>/cancel/",
        admin.AdminTaskCancelApi.as_view(),
        name="admin-task-cancel",
    ),
    path("admin/users/", admin.AdminUserListApi.as_view(), name="admin-users"),
    path("admin/groups/", admin.AdminGroupListApi.as_view(), name="admin-groups"),
    path("admin/task-types/", admin.AdminTaskTypeListApi.as_view(), name="admin-task-types"),
    path("admin/sources/", sources.AdminSourceCollectionApi.as_view(), name="admin-sources"),
    path(
        "admin/sources/<int:source_id>/",
        sources.AdminSourceDetailApi.as_view(),
        name="admin-source",
    ),
    path(
        "admin/sources/<int:source_id>/sync/",
        sources.AdminSourceSyncApi.as_view(),
        name="admin-source-sync",
    ),
    path("admin/outbox/", outbox.AdminOutboxListApi.as_view(), name="admin-outbox"),
    path(
        "admin/outbox/<int:command_id>/",
        outbox.AdminOutboxDetailApi.as_view(),
        name="admin-outbox-command",
    ),
    path(
        "admin/outbox/<int:command_id>/retry/",
        outbox.AdminOutboxRetryApi.as_view(),
        name="admin-outbox-retry",
    ),
    path(
        "admin/outbox/<int:command_id>/resolve/",
        outbox.AdminOutboxResolveApi.as_view(),
        name="admin-outbox-resolve",
    ),
    re_path(r"^.*$", ApiNotFound.as_view(), name="not-found"),
]
