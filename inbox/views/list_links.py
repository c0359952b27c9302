"""A list page's links: its query without paging (what Load more and the headers keep), the
sort headers' URLs and the CSV export's URL. Pure: no query; the paths come from
``shell.path_to`` (reversed once per URLconf)."""

from urllib.parse import urlencode

from inbox.queries import TaskSort
from inbox.views.shell import path_to

PAGING = ("bookmark", "stamp", "shown", "order", "follow_up_column")
# Sortable column headers: (label, sort key); the view editor offers these and context__NAME.
SORT_CHOICES = {
    "created": "Created",
    "due": "Due",
    "follow_up": "Follow-up",
    "priority": "Priority",
    "updated": "Updated",
}


def clean_query(request) -> str:
    """The current request's parameters (view, filters, sort) as a query string, without
    paging and polling parameters: links to this list (Load more, headers) keep them."""
    params = request.GET.copy()
    for key in PAGING:
        params.pop(key, None)
    for key in [k for k, v in params.lists() if not any(v)]:
        params.pop(key)
    return params.urlencode()


def sort_headers(request, list_url: str, sort: TaskSort, columns=()) -> dict[str, dict]:
    """For each sortable header (context columns too): the link that sorts by it (flipping the
    direction when it is the current sort) and its ``aria-sort`` state."""
    params = request.GET.copy()
    for key in (*PAGING, "sort"):
        params.pop(key, None)
    base = f"{list_url}?{params.urlencode()}&" if params else f"{list_url}?"  # sort goes last
    headers = {}
    for key in (*SORT_CHOICES, "completed", *(f"context__{c}" for c in columns)):
        current = sort.key == key
        target = f"-{key}" if current and not sort.descending else key
        state = ("descending" if sort.descending else "ascending") if current else "none"
        headers[key] = {"url": base + urlencode({"sort": target}), "state": state}
    return headers


def export_url(scope: str, query: str, view_id: int | None) -> str:
    """The CSV export of this list with its query (and saved view)."""
    url = path_to("inbox:export", scope)
    if view_id is not None:
        query = f"view={view_id}&{query}" if query else f"view={view_id}"
    return f"{url}?{query}" if query else url
