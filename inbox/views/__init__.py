"""htmx pages and fragments (function-based views), split along their seams."""

from inbox.views.admin import (
    admin_bulk,
    admin_task_types,
    admin_users,
    pick_groups,
    pick_users,
)
from inbox.views.admin_sources import (
    admin_source_delete,
    admin_source_edit,
    admin_source_new,
    admin_sources,
)
from inbox.views.cases import case_detail, case_list, case_start_view, case_step
from inbox.views.export import export
from inbox.views.nav import nav_count_swaps
from inbox.views.outbox import admin_outbox, admin_outbox_command, task_delivery
from inbox.views.saved_views import view_delete, view_page, view_save
from inbox.views.task_detail import task_detail
from inbox.views.tasks import admin_tasks, claimable, history, home, task_row

__all__ = [
    "admin_bulk",
    "admin_outbox",
    "admin_outbox_command",
    "admin_source_delete",
    "admin_source_edit",
    "admin_source_new",
    "admin_sources",
    "admin_task_types",
    "admin_tasks",
    "admin_users",
    "case_detail",
    "case_list",
    "case_start_view",
    "case_step",
    "claimable",
    "export",
    "history",
    "home",
    "nav_count_swaps",
    "pick_groups",
    "pick_users",
    "task_delivery",
    "task_detail",
    "task_row",
    "view_delete",
    "view_page",
    "view_save",
]
