"""Records that cannot be stored faithfully are skipped and remembered, not fatal.

``screen`` is a pure validation step run on every page before anything is written (the
importer's bulk write stays free of checks): an id longer than the column, a NUL character or
invalid Unicode (lone surrogates, e.g. from invalid UTF-8) anywhere in the record, a
non-finite number, an integer out of its column's range or a value of the wrong type moves the
record from the page to ``page.rejected``; the rest of the page imports.

``remember`` writes the rejections as ``QuarantinedRecord`` rows (one per source, kind and raw
id; bounded per source) in the caller's transaction; ``forget`` removes the rows of records that
have now been imported faithfully. Only this module writes that table.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from inbox.models import EXTERNAL_ID_MAX_LENGTH, QuarantinedRecord, Source
from inbox.sync.base import CaseRecord, Page, Rejected, StageRecord, TaskRecord, excerpt

QUARANTINE_PER_SOURCE = 200
# PostgreSQL's btree index entries are limited to about 2700 bytes: the unique (source, id)
# index holds the id, so ids are bounded in bytes too.
EXTERNAL_ID_MAX_BYTES = 2000
INT_RANGE = (-(2**31), 2**31 - 1)
MAX_DEPTH = 64
AT = "\x00"  # where a message template takes the label of the bad value (never in a label)


class Unfaithful(ValueError):
    """Why a record cannot be stored as the engine sent it."""


def _check_id(label: str, value: Any, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise Unfaithful(f"{label} must be a string, not {type(value).__name__}")
    if required and not value:
        raise Unfaithful(f"{label} is empty")
    if len(value) > EXTERNAL_ID_MAX_LENGTH:
        raise Unfaithful(
            f"{label} is {len(value)} characters long (the most stored whole is "
            f"{EXTERNAL_ID_MAX_LENGTH})"
        )
    if (  # at most 4 bytes a character: short ids need no encoding to be measured
        len(value) > EXTERNAL_ID_MAX_BYTES // 4
        and len(value.encode("utf-8", errors="surrogatepass")) > EXTERNAL_ID_MAX_BYTES
    ):
        raise Unfaithful(f"{label} is longer than {EXTERNAL_ID_MAX_BYTES} bytes")


def _text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, as a message template on its label, or None."""
    if "\x00" in value:
        return f"NUL character in {AT}"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"invalid Unicode (not UTF-8) in {AT}"
    return None


def _check_text(label: str, value: str) -> None:
    problem = _text_problem(value)
    if problem:
        raise Unfaithful(problem.replace(AT, label))


class _Bad(Exception):
    """Raised deep inside a value: the message template, and the path back up to its field
    (built while unwinding, so labels are only formatted for the one bad value)."""

    def __init__(self, template: str):
        self.template, self.path = template, []


def _walk(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _Bad(f"{AT} is nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind is str:
        problem = _text_problem(value)
        if problem:
            raise _Bad(problem)
    elif kind is int or kind is bool or value is None:
        return
    elif kind is float:
        if not math.isfinite(value):
            raise _Bad(f"non-finite number ({value}) in {AT}")
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise _Bad(f"non-string key {key!r:.40} in {AT}")
            problem = _text_problem(key)
            if problem:
                raise _Bad(problem.replace(AT, f"a key of {AT}"))
            try:
                _walk(item, depth + 1)
            except _Bad as bad:
                bad.path.append(f".{key[:40]}")
                raise
    elif kind is list or kind is tuple:
        for index, item in enumerate(value):
            try:
                _walk(item, depth + 1)
            except _Bad as bad:
                bad.path.append(f"[{index}]")
                raise
    else:
        _check_other(value, depth)


def _check_other(value: Any, depth: int) -> None:
    """Subclasses of the plain types (checked as their base), dates; nothing else."""
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            raise _Bad(problem)
    elif isinstance(value, bool | int | datetime):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(f"non-finite number ({value}) in {AT}")
    elif isinstance(value, dict | list | tuple):
        _walk(dict(value) if isinstance(value, dict) else list(value), depth)
    else:
        raise _Bad(f"{AT} holds a {type(value).__name__}")


# Values ``_clean`` passes without looking inside (``bool`` is listed: ``type`` is exact).
_LEAVES = frozenset({int, bool, type(None), datetime})


def _clean(values) -> bool:
    """True when every value (fields of one record) holds only storable plain data. False
    sends the record to the exact (and slower) checks, which name what is wrong.

    One pass over the containers only: the leaves of each dict or list are judged inline
    (strings collected, the other plain scalars passed, a non-finite float refused), dict keys
    are collected without a loop of their own, and every string and key is checked at once
    in the end (a key that is no string makes the join fail). A container at ``MAX_DEPTH``
    refuses, as ``_walk`` does."""
    strings: list[str] = []
    add = strings.append
    stack = [(values, -1)]  # (container, its depth); the fields themselves are at depth 0
    pop, push = stack.pop, stack.append
    while stack:
        container, depth = pop()
        if type(container) is dict:
            strings.extend(container)
            container = container.values()
        depth += 1
        for value in container:
            kind = type(value)
            if kind is str:
                add(value)
            elif kind in _LEAVES:
                continue
            elif kind is dict or kind is list or kind is tuple:
                if depth >= MAX_DEPTH:
                    return False
                push((value, depth))
            elif kind is float:
                if value - value != 0.0:  # inf - inf and nan - nan are nan: not finite
                    return False
            else:
                return False
    try:
        text = "".join(strings)
    except TypeError:  # a key that is not a string
        return False
    return "\x00" not in text and (text.isascii() or _utf8(text))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_value(label: str, value: Any, depth: int = 0) -> None:
    """Every string, key and number inside ``value`` can be stored (text and jsonb)."""
    try:
        _walk(value, depth)
    except _Bad as bad:
        raise Unfaithful(bad.template.replace(AT, label + "".join(reversed(bad.path)))) from None


def _check_types(record: Any, spec: dict[str, tuple]) -> None:
    values = record.__dict__
    for name, types in spec.items():
        value = values[name] if name in values else getattr(record, name)
        kind = type(value)
        if kind in types and kind is not int:  # the common case: exactly a declared type
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise Unfaithful(f"{name} has the wrong type ({type(value).__name__})")
        if isinstance(value, int) and not isinstance(value, bool):
            low = 0 if name.startswith("progress") else INT_RANGE[0]
            if not low <= value <= INT_RANGE[1]:
                raise Unfaithful(f"{name} ({value}) is out of range")


NONE = type(None)
TASK_TYPES = {
    "task_type": (str,),
    "title": (str,),
    "description": (str,),
    "status": (str,),
    "priority": (int,),
    "fields": (list,),
    "results": (dict,),
    "context": (dict,),
    "assignee": (str, NONE),
    "group": (str, NONE),
    "due_at": (datetime, NONE),
    "created_at": (datetime, NONE),
}
STAGE_TYPES = {"name": (str,), "status": (str,), "position": (int,)}
CASE_TYPES = {
    "name": (str,),
    "process_key": (str,),
    "status": (str,),
    "upstream_status": (str,),
    "started_by": (str,),
    "payload": (dict,),
    "progress_done": (int, NONE),
    "progress_total": (int, NONE),
    "started_at": (datetime, NONE),
    "ended_at": (datetime, NONE),
}


def check_task(record: TaskRecord) -> None:
    _check_id("the task id", record.external_id)
    _check_id("the run id", record.wf_run_id)
    _check_id("the case id", record.case_external_id, required=False)
    _check_types(record, TASK_TYPES)
    if _clean(record.__dict__.values()):
        return
    for item in dataclass_fields(record):
        _check_value(item.name, getattr(record, item.name))


def _check_stage(stage: Any, position: int) -> None:
    if not isinstance(stage, StageRecord):
        raise Unfaithful(f"stage {position} is not a stage")
    _check_id(f"the id of stage {position}", stage.external_id)
    _check_types(stage, STAGE_TYPES)
    if _clean(stage.__dict__.values()):
        return
    for item in dataclass_fields(stage):
        _check_value(f"stage {position} {item.name}", getattr(stage, item.name))


def check_case(record: CaseRecord) -> None:
    _check_id("the case id", record.external_id)
    _check_types(record, CASE_TYPES)
    for position, stage in enumerate(record.stages or []):
        _check_stage(stage, position)
    if _clean(v for k, v in record.__dict__.items() if k != "stages"):
        return
    for item in dataclass_fields(record):
        if item.name != "stages":
            _check_value(item.name, getattr(record, item.name))


def screen_tasks(records: list[TaskRecord], rejected: list[Rejected]) -> list[TaskRecord]:
    """The records that can be stored faithfully; the others are added to ``rejected``."""
    good = []
    for record in records:
        try:
            check_task(record)
        except Unfaithful as exc:
            rejected.append(Rejected("task", _raw(record.external_id), str(exc), _excerpt(record)))
        else:
            good.append(record)
    return good


def screen(page: Page, *, stored: frozenset = frozenset()) -> Page:
    """Move the records of ``page`` that cannot be stored faithfully to ``page.rejected``.

    ``stored``: ``(kind, external id)`` of records whose fingerprint equals the stored row's,
    so they were screened when that row was written and will not be written now: skipped."""
    cases = []
    for record in page.cases:
        if ("case", record.external_id) in stored:
            cases.append(record)
            continue
        try:
            check_case(record)
        except Unfaithful as exc:
            page.rejected.append(
                Rejected("case", _raw(record.external_id), str(exc), _excerpt(record))
            )
        else:
            cases.append(record)
    page.cases = cases
    if stored:
        kept = [r for r in page.tasks if ("task", r.external_id) in stored]
        checked = screen_tasks(
            [r for r in page.tasks if ("task", r.external_id) not in stored], page.rejected
        )
        keep = {id(r) for r in kept} | {id(r) for r in checked}
        page.tasks = [r for r in page.tasks if id(r) in keep]
    else:
        page.tasks = screen_tasks(page.tasks, page.rejected)
    return page


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _excerpt(record: Any) -> str:
    data = {f.name: getattr(record, f.name) for f in dataclass_fields(record)}
    data.pop("stages", None)
    return excerpt(data)


def _printable(raw: str, limit: int = 4000) -> str:
    """The raw id, whole up to ``limit`` characters, with NUL and bad Unicode escaped."""
    text = raw.encode("utf-8", errors="backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(raw)} characters)"


def id_hash(raw: str) -> str:
    data = raw.encode("utf-8", errors="surrogatepass")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def remember(source: Source, rejected: list[Rejected]) -> None:
    """Upsert the rejections of one page; keep the newest ``QUARANTINE_PER_SOURCE``.
    Runs in the caller's transaction (the page's)."""
    if not rejected:
        return
    now = timezone.now()
    rows = {}
    for item in rejected:
        key = (item.kind, id_hash(item.external_id))
        rows[key] = QuarantinedRecord(
            source=source,
            kind=item.kind,
            external_id=_printable(item.external_id),
            id_hash=key[1],
            reason=_printable(item.reason, 490),
            payload_excerpt=_printable(item.excerpt, 2000),
            seen_at=now,
        )
    QuarantinedRecord.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["source", "kind", "id_hash"],
        update_fields=["reason", "payload_excerpt", "seen_at", "external_id"],
    )
    stale = QuarantinedRecord.objects.filter(source=source).order_by("-seen_at", "-id")[
        QUARANTINE_PER_SOURCE : QUARANTINE_PER_SOURCE + 1000
    ]
    stale_ids = list(stale.values_list("id", flat=True))
    if stale_ids:
        QuarantinedRecord.objects.filter(id__in=stale_ids).delete()


def forget(source: Source, page: Page) -> None:
    """Drop the quarantine rows of records this page imported faithfully."""
    hashes = [("case", id_hash(r.external_id)) for r in page.cases]
    hashes += [("task", id_hash(r.external_id)) for r in page.tasks]
    if not hashes:
        return
    query = Q()
    for kind in ("case", "task"):
        of_kind = [h for k, h in hashes if k == kind]
        if of_kind:
            query |= Q(kind=kind, id_hash__in=of_kind)
    QuarantinedRecord.objects.filter(source=source).filter(query).delete()


def summary(source: Source, latest: int = 3) -> dict:
    """``{"count": N, "latest": [{kind, external_id, reason, seen_at}]}`` for one source."""
    rows = QuarantinedRecord.objects.filter(source=source)
    return {
        "count": rows.count(),
        "latest": [
            {"kind": r.kind, "external_id": r.external_id, "reason": r.reason, "seen_at": r.seen_at}
            for r in rows.order_by("-seen_at", "-id")[:latest]
        ],
    }
