"""Sort orders of task lists: by created, due, follow-up, priority, updated, completed or one
context variable.

``sort=due`` is ascending, ``sort=-due`` descending; ``sort=context__amount`` orders by the
context variable ``amount`` (on PostgreSQL as ``jsonb``: numbers numerically, text as text).
Every order ends with the task id, so it is total, and puts missing values (no due date, no
follow-up date, no such variable) last ascending and first descending, as a PostgreSQL b-tree
index walks them: the keyset bookmarks of ``inbox.queries.paging`` rely on exactly that order.
``sort=follow_up`` orders by the SLA's follow-up ("claim within") date, which sla.policies
copies onto the task row (``UserTask.follow_up_at``) so it has indexes like the due date's.
Pure parsing; no SQL.
"""

import re
from dataclasses import dataclass

from django.db.models import F, OrderBy
from django.db.models.fields.json import KeyTransform

from inbox.errors import ValidationError
from inbox.queries.search import full_text, rank_expression

SORT_FIELDS = {
    "created": "created_at",
    "due": "due_at",
    # The SLA's follow-up ("claim within") date, copied onto the task by sla.policies.
    "follow_up": "follow_up_at",
    "priority": "priority",
    "updated": "updated_at",
    "completed": "completed_at",
}
RELEVANCE = "relevance"  # with a search text only: best match first
CONTEXT_PREFIX = "context__"
# A context variable usable as a sort key or a list column: an identifier-like name.
CONTEXT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
SORT_VALUE = "sort_value"  # the annotation a context sort selects


def check_context_name(name: str, *, field: str) -> str:
    """``name`` when it can be a context variable name; else ValidationError naming ``field``."""
    if not isinstance(name, str) or not CONTEXT_NAME_RE.match(name):
        raise ValidationError(
            f"Invalid {field}",
            fields={
                field: [
                    f"{str(name)[:60]!r} is not a context variable name (letters, digits, "
                    "_ . -, starting with a letter or _)."
                ]
            },
        )
    return name


@dataclass(frozen=True)
class TaskSort:
    key: str = "created"  # a SORT_FIELDS name or context__NAME
    descending: bool = False

    @classmethod
    def parse(cls, raw: str, *, field: str = "sort") -> "TaskSort":
        text = (raw or "").strip()
        descending = text.startswith("-")
        key = text.lstrip("-+ ").strip()
        if key in SORT_FIELDS:
            return cls(key, descending)
        if key == RELEVANCE:
            return cls(key, not text.startswith("-"))  # "relevance" means best first
        if key.startswith(CONTEXT_PREFIX):
            check_context_name(key[len(CONTEXT_PREFIX) :], field=field)
            return cls(key, descending)
        names = ", ".join([*SORT_FIELDS, RELEVANCE])
        raise ValidationError(
            f"Invalid {field}",
            fields={
                field: [
                    f"Unknown sort key {key[:60]!r}: use {names} or context__NAME, "
                    "with a leading - for descending."
                ]
            },
        )

    def __str__(self) -> str:
        if self.key == RELEVANCE:
            return RELEVANCE if self.descending else f"-{RELEVANCE}"
        return f"{'-' if self.descending else ''}{self.key}"

    @property
    def context_name(self) -> str | None:
        return self.key[len(CONTEXT_PREFIX) :] if self.key.startswith(CONTEXT_PREFIX) else None

    @property
    def annotated(self) -> bool:
        return self.key == RELEVANCE or self.context_name is not None

    @property
    def column(self) -> str:
        """The name the ordering and the union select: a model field, or the annotation."""
        return SORT_VALUE if self.annotated else SORT_FIELDS[self.key]

    @property
    def lookup(self) -> str:
        """The ORM path used in keyset conditions."""
        name = self.context_name
        if name:
            return f"context__{name}"
        return SORT_VALUE if self.key == RELEVANCE else SORT_FIELDS[self.key]

    def annotate(self, qs, search_text: str = ""):
        name = self.context_name
        if name:
            return qs.annotate(**{SORT_VALUE: KeyTransform(name, "context")})
        if self.key == RELEVANCE:
            return qs.annotate(**{SORT_VALUE: rank_expression(search_text)})
        return qs

    def order_by(self) -> tuple[OrderBy, OrderBy]:
        if self.descending:
            return (F(self.column).desc(nulls_first=True), F("id").desc())
        return (F(self.column).asc(nulls_last=True), F("id").asc())

    def position(self, task) -> tuple[bool, object]:
        """(has a value, the value) of ``task`` under this order, as a bookmark stores it."""
        if self.key == RELEVANCE:
            return (True, float(getattr(task, SORT_VALUE, 0.0)))
        name = self.context_name
        if name:
            context = task.context if isinstance(task.context, dict) else {}
            return (name in context, context.get(name))
        value = getattr(task, SORT_FIELDS[self.key])
        if value is None:
            return (False, None)
        return (True, value.isoformat() if hasattr(value, "isoformat") else value)


DEFAULT_SORT = TaskSort("created")
HISTORY_SORT = TaskSort("completed", descending=True)


def parse_order(params, default: str = "oldest") -> bool:
    """``order=oldest|newest`` from query parameters: True when newest first."""
    raw = (params.get("order") or default).strip().lower()
    if raw not in ("oldest", "newest"):
        raise ValidationError("Invalid order", fields={"order": ["Use oldest or newest."]})
    return raw == "newest"


def sort_from_params(params, scope: str, default: "TaskSort | None" = None) -> TaskSort:
    """``sort=`` when given; else the scope's default (History: most recently finished first;
    others oldest first) turned by the older ``order=oldest|newest`` parameter."""
    raw = (params.get("sort") or "").strip()
    if raw:
        sort = TaskSort.parse(raw)
        if sort.key == RELEVANCE and not (params.get("q") or "").strip():
            raise ValidationError(
                "Invalid sort", fields={"sort": ["relevance needs a search text (q)."]}
            )
        return sort
    if (params.get("q") or "").strip() and not params.get("order") and full_text():
        return TaskSort(RELEVANCE, True)
    base = default or (HISTORY_SORT if scope == "history" else DEFAULT_SORT)
    if params.get("order"):
        return TaskSort(base.key, parse_order(params))
    return base
