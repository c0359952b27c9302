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
    if len(value.encode("utf-8", errors="surrogatepass")) > EXTERNAL_ID_MAX_BYTES:
        raise Unfaithful(f"{label} is longer than {EXTERNAL_ID_MAX_BYTES} bytes")


def _check_text(label: str, value: str) -> None:
    if "\x00" in value:
        raise Unfaithful(f"NUL character in {label}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Unfaithful(f"invalid Unicode (not UTF-8) in {label}") from None


def _check_value(label: str, value: Any, depth: int = 0) -> None:
    """Every string, key and number inside ``value`` can be stored (text and jsonb)."""
    if depth > MAX_DEPTH:
        raise Unfaithful(f"{label} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_text(label, value)
    elif isinstance(value, bool) or value is None or isinstance(value, int):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Unfaithful(f"non-finite number ({value}) in {label}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise Unfaithful(f"non-string key {key!r:.40} in {label}")
            _check_text(f"a key of {label}", key)
            _check_value(f"{label}.{key[:40]}", item, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(f"{label}[{index}]", item, depth + 1)
    elif isinstance(value, datetime):
        return
    else:
        raise Unfaithful(f"{label} holds a {type(value).__name__}")


def _check_types(record: Any, spec: dict[str, tuple]) -> None:
    for name, types in spec.items():
        value = getattr(record, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise Unfaithful(f"{name} has the wrong type ({type(value).__name__})")
        if isinstance(value, int) and not isinstance(value, bool):
            low = 0 if name.startswith("progress") else INT_RANGE[0]
            if not low <= value <= INT_RANGE[1]:
                raise Unfaithful(f"{name} ({value}) is out of range")


def check_task(record: TaskRecord) -> None:
    _check_id("the task id", record.external_id)
    _check_id("the run id", record.wf_run_id)
    _check_id("the case id", record.case_external_id, required=False)
    _check_types(
        record,
        {
            "task_type": (str,),
            "title": (str,),
            "description": (str,),
            "status": (str,),
            "priority": (int,),
            "fields": (list,),
            "results": (dict,),
            "context": (dict,),
            "assignee": (str, type(None)),
            "group": (str, type(None)),
            "due_at": (datetime, type(None)),
            "created_at": (datetime, type(None)),
        },
    )
    for item in dataclass_fields(record):
        _check_value(item.name, getattr(record, item.name))


def _check_stage(stage: Any, position: int) -> None:
    if not isinstance(stage, StageRecord):
        raise Unfaithful(f"stage {position} is not a stage")
    _check_id(f"the id of stage {position}", stage.external_id)
    _check_types(stage, {"name": (str,), "status": (str,), "position": (int,)})
    for item in dataclass_fields(stage):
        _check_value(f"stage {position} {item.name}", getattr(stage, item.name))


def check_case(record: CaseRecord) -> None:
    _check_id("the case id", record.external_id)
    _check_types(
        record,
        {
            "name": (str,),
            "process_key": (str,),
            "status": (str,),
            "upstream_status": (str,),
            "started_by": (str,),
            "payload": (dict,),
            "progress_done": (int, type(None)),
            "progress_total": (int, type(None)),
            "started_at": (datetime, type(None)),
            "ended_at": (datetime, type(None)),
        },
    )
    for position, stage in enumerate(record.stages or []):
        _check_stage(stage, position)
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


def screen(page: Page) -> Page:
    """Move the records of ``page`` that cannot be stored faithfully to ``page.rejected``."""
    cases = []
    for record in page.cases:
        try:
            check_case(record)
        except Unfaithful as exc:
            page.rejected.append(
                Rejected("case", _raw(record.external_id), str(exc), _excerpt(record))
            )
        else:
            cases.append(record)
    page.cases = cases
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
