"""CSV export of any list or saved view: ``/export/<list>.csv?<the list's parameters>``.

The same parameters, saved view, sort and visibility as the list page (and the API list); the
rows are streamed (``StreamingHttpResponse``) from ``inbox.queries.export`` in keyset chunks, so
memory stays flat at any size. Signed-in users; the admins' All tasks list for admins only.
"""

import csv

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from inbox.errors import InboxError, NotFound
from inbox.queries.export import export_chunks
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


class _Buffer:
    """Collects what csv.writer writes; ``take`` hands it over and starts again."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, value: str) -> None:
        self.parts.append(value)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_lines(chunks, columns: list[str]):
    """CSV text, one string per chunk of rows (``inbox.queries.export.export_chunks``, its
    cells already formatted): the header, then the rows, written by csv.writer in C."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    writer.writerow(HEADER + [f"context.{c}" for c in columns])
    yield buffer.take()
    for chunk in chunks:
        writer.writerows(chunk)
        yield buffer.take()


def csv_response(user, params, *, scope: str, filename: str) -> StreamingHttpResponse:
    """Parse the list parameters (ValidationError naming a bad one) and stream the CSV."""
    wanted = list_request(user, params, scope=scope, now=timezone.now())
    chunks = export_chunks(
        user, scope=scope, filters=wanted.filters, sort=wanted.sort, columns=wanted.columns
    )
    response = StreamingHttpResponse(
        csv_lines(chunks, wanted.columns), content_type="text/csv; charset=utf-8"
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
