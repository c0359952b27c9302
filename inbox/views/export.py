"""CSV export of any list or saved view: ``/export/<list>.csv?<the list's parameters>``.

The same parameters, saved view, sort and visibility as the list page (and the API list); the
rows are streamed (``StreamingHttpResponse``) from ``inbox.queries.export`` in keyset chunks, so
memory stays flat at any size. Signed-in users; the admins' All tasks list for admins only.
"""

import csv
import json

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from inbox.errors import InboxError, NotFound
from inbox.queries.export import EXPORT_FIELDS, export_rows
from inbox.queries.views import list_request
from inbox.views.common import staff_view

HEADER = [
    "id",
    "title",
    "type",
    "status",
    "priority",
    "due_at",
    "created_at",
    "updated_at",
    "completed_at",
    "external_id",
    "context",
    "assignee",
    "group",
    "source",
    "case",
]
EXPORT_SCOPES = ("mine", "claimable", "history", "all", "visible")
_CONTEXT = EXPORT_FIELDS.index("context")


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_lines(rows, columns: list[str]):
    """CSV text, one line per row: the fixed fields, then one per chosen context column. The
    context is copied as the database's JSON text; it is parsed only for chosen columns."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER + [f"context.{c}" for c in columns])
    for row in rows:
        cells = [_cell(v) for v in row]
        raw = row[_CONTEXT]
        if isinstance(raw, str | bytes):
            cells[_CONTEXT] = raw if isinstance(raw, str) else raw.decode()
            context = json.loads(raw) if columns else {}
        else:
            context = raw
            cells[_CONTEXT] = json.dumps(raw, ensure_ascii=False, sort_keys=True)
        if not isinstance(context, dict):
            context = {}
        yield writer.writerow(cells + [_context_cell(context, c) for c in columns])


def _context_cell(context: dict, name: str):
    if name not in context or context[name] is None:
        return ""
    value = context[name]
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def csv_response(user, params, *, scope: str, filename: str) -> StreamingHttpResponse:
    """Parse the list parameters (ValidationError naming a bad one) and stream the CSV."""
    wanted = list_request(user, params, scope=scope, now=timezone.now())
    rows = export_rows(user, scope=scope, filters=wanted.filters, sort=wanted.sort)
    response = StreamingHttpResponse(
        csv_lines(rows, wanted.columns), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view
def export(request, scope: str):
    if scope not in EXPORT_SCOPES or (scope == "all" and not request.user.is_inbox_admin):
        raise Http404("No such list")
    try:
        return csv_response(request.user, request.GET, scope=scope, filename=f"{scope}.csv")
    except NotFound:
        raise Http404("No such view") from None
    except InboxError as error:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        return HttpResponse(
            f"{error.message}. {problems}\n", status=400, content_type="text/plain; charset=utf-8"
        )
