"""The search box: full-text over title, description, context values and comments, plus exact
id / external id / case lookups from the same text.

On PostgreSQL the text is a ``websearch_to_tsquery('english', …)`` (quotes for phrases, ``or``,
``-word``) matched against ``UserTask.search`` (GIN index ``task_search_gin``, kept by triggers:
migration 0009), ranked by ``ts_rank`` (title words weigh most, then description, context values,
comments) and highlighted by ``ts_headline`` on the rows of a page only. Exact matches (the
task's UUID, its engine's external id, ``#12`` or ``case 12`` for a case) rank first.
On SQLite: ``icontains`` over title and description, plus the same exact lookups, unranked.
Read-only.
"""

import contextlib
import re
import uuid

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.utils.html import escape

SEARCH_CONFIG = "english"
_CASE_REF = re.compile(r"^\s*(?:#|case[\s:#]*)(\d{1,18})\s*$", re.IGNORECASE)
MARK_START, MARK_STOP = "\ue000", "\ue001"  # private-use marks, replaced after escaping


def full_text() -> bool:
    return connection.vendor == "postgresql"


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def exact_q(text: str) -> Q | None:
    """Exact lookups the text may name: a task id, an external id, a case."""
    text = text.strip()
    if not text:
        return None
    exact = Q(external_id=text)
    with contextlib.suppress(ValueError):
        exact |= Q(pk=uuid.UUID(text))
    case = _CASE_REF.match(text)
    if case:
        exact |= Q(case_id=int(case.group(1)))
    return exact


def search_q(text: str) -> Q:
    """The filter of the search box."""
    exact = exact_q(text) or Q(pk__in=[])
    if full_text():
        return Q(search=_query(text)) | exact
    return Q(title__icontains=text) | Q(description__icontains=text) | exact


def rank_expression(text: str):
    """Relevance of a row for ``text``: exact matches first (10 + rank), then ``ts_rank``."""
    if not full_text():
        return Value(0.0, output_field=FloatField())
    rank = SearchRank(F("search"), _query(text))
    return Case(
        When(exact_q(text), then=rank + Value(10.0)),
        default=rank,
        output_field=FloatField(),
    )


def highlight(qs: QuerySet, text: str) -> QuerySet:
    """Annotate ``title_marked`` and ``snippet_marked`` (matched words between the marks)."""
    if not text or not full_text():
        return qs
    query = _query(text)
    options = {"start_sel": MARK_START, "stop_sel": MARK_STOP, "config": SEARCH_CONFIG}
    return qs.annotate(
        title_marked=SearchHeadline("title", query, highlight_all=True, **options),
        snippet_marked=SearchHeadline(
            "description", query, max_words=18, min_words=8, max_fragments=2, **options
        ),
    )


def marked_html(text: str) -> str:
    """Escape ``text`` and turn its marks into ``<mark>`` tags (safe HTML)."""
    return escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
