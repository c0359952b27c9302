from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.home, name="home"),
    path("claimable/", views.claimable, name="claimable"),
    path("history/", views.history, name="history"),
    path("nav/counts/", views.nav_count_swaps, name="nav_counts"),
    path("views/", views.view_save, name="view_save"),
    path("views/<int:view_id>/", views.view_page, name="view"),
    path("views/<int:view_id>/delete/", views.view_delete, name="view_delete"),
    path("export/<str:scope>.csv", views.export, name="export"),
    path("tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("tasks/<uuid:task_id>/row/", views.task_row, name="task_row"),
    path("tasks/<uuid:task_id>/delivery/", views.task_delivery, name="task_delivery"),
    path("cases/", views.case_list, name="cases"),
    path("cases/start/", views.case_start_view, name="case_start"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/steps/", views.case_step, name="case_step"),
    path("console/tasks/", views.admin_tasks, name="admin_tasks"),
    path("console/tasks/bulk/", views.admin_bulk, name="admin_bulk"),
    path("console/users/", views.admin_users, name="admin_users"),
    path("console/task-types/", views.admin_task_types, name="admin_task_types"),
    path("console/sources/", views.admin_sources, name="admin_sources"),
    path("console/sources/new/", views.admin_source_new, name="admin_source_new"),
    path(
        "console/sources/<int:source_id>/edit/", views.admin_source_edit, name="admin_source_edit"
    ),
    path("console/outbox/", views.admin_outbox, name="admin_outbox"),
    path(
        "console/outbox/<int:command_id>/",
        views.admin_outbox_command,
        name="admin_outbox_command",
    ),
    path(
        "console/sources/<int:source_id>/delete/",
        views.admin_source_delete,
        name="admin_source_delete",
    ),
    path("console/pick/users/", views.pick_users, name="pick_users"),
    path("console/pick/groups/", views.pick_groups, name="pick_groups"),
]
