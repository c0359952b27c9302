"""The read side: who may see which tasks (``visibility``), filters (``filters``), sort orders
(``sorting``), keyset pages (``paging``), saved views (``views``) and capped counts (``counts``).

Every list, API page, export and count reads through here; nothing here writes.
"""

from inbox.queries.counts import COUNT_CAP, capped_task_count
from inbox.queries.filters import ALL_STATUSES, TaskFilters, parse_when, task_types_after
from inbox.queries.paging import (
    HISTORY_STATUSES,
    LIST_ROW_FIELDS,
    SCOPES,
    TaskPage,
    decode_bookmark,
    decode_key,
    default_sort,
    encode_bookmark,
    encode_key,
    ids_sql,
    page_ids,
    sort_key,
    task_page,
)
from inbox.queries.sorting import TaskSort, check_context_name, parse_order, sort_from_params
from inbox.queries.visibility import (
    can_see_task,
    claimable_tasks,
    finished_by_others,
    holds_open_tasks,
    visible_cases,
    visible_tasks,
)

__all__ = [
    "ALL_STATUSES",
    "COUNT_CAP",
    "HISTORY_STATUSES",
    "LIST_ROW_FIELDS",
    "SCOPES",
    "TaskFilters",
    "TaskPage",
    "TaskSort",
    "can_see_task",
    "capped_task_count",
    "check_context_name",
    "claimable_tasks",
    "decode_bookmark",
    "decode_key",
    "default_sort",
    "encode_bookmark",
    "encode_key",
    "finished_by_others",
    "holds_open_tasks",
    "ids_sql",
    "page_ids",
    "parse_order",
    "parse_when",
    "sort_from_params",
    "sort_key",
    "task_page",
    "task_types_after",
    "visible_cases",
    "visible_tasks",
]
