"""What the importer compares a page against: the stored fingerprints of a source's tasks and
cases, read once per walk for the rows that can still change instead of once per page.

A walk that lists what can still change (LittleHorse's open tasks, after its first walk) used
to look its 70,000 tasks and their runs up page by page, two queries a page; ``WalkPrints``
reads the open tasks and the unfinished cases of the source in one query each, the first time
a page is big enough to be worth it (``PRELOAD_AFTER`` records), and answers the ids it holds
from memory. Ids it does not hold (finished rows, rows new since it was read) are looked up
per page as before, so an answer is never missing a stored row.

Rules: only the poll holding the source's lease writes fingerprints (``upstream_hash`` is
written by the importer alone), so what was read stays true for the walk, except for what
the walk itself writes: the importer calls ``wrote`` after each page's transaction. A source
with more than ``PRELOAD_LIMIT`` open rows is not preloaded (memory stays bounded). Read-only,
no transaction needed.
"""

from __future__ import annotations

from inbox import bulk
from inbox.models import OPEN_STATUSES, Case, UserTask

PRELOAD_AFTER = 500  # records in one page
PRELOAD_LIMIT = 300_000  # rows per table
OPEN_CASES = (Case.Status.PENDING, Case.Status.RUNNING, Case.Status.PAUSED)


class WalkPrints:
    """Stored fingerprints for one walk of one source (see the module docstring)."""

    def __init__(self, source_id: int):
        self.source_id = source_id
        self.tasks: dict[str, tuple] | None = None  # external id -> (task id, fingerprint)
        self.cases: dict[str, str] | None = None  # external id -> fingerprint
        self._tried = False

    def _preload(self, size: int) -> None:
        if self._tried or size < PRELOAD_AFTER:
            return
        self._tried = True
        self.tasks = self._read(
            UserTask, ("external_id", "id", "upstream_hash"), OPEN_STATUSES, lambda r: r[1:]
        )
        self.cases = self._read(Case, ("external_id", "upstream_hash"), OPEN_CASES, lambda r: r[1])

    def _read(self, model, columns, statuses, value) -> dict | None:
        rows = (
            model.objects.filter(source_id=self.source_id, status__in=statuses)
            .values_list(*columns)
            .order_by()[: PRELOAD_LIMIT + 1]
        )
        out = {row[0]: value(row) for row in rows}
        return out if len(out) <= PRELOAD_LIMIT else None

    def stored_tasks(self, external_ids: list[str]) -> dict[str, tuple]:
        """external id -> (task id, stored fingerprint) of the stored tasks among the ids."""
        self._preload(len(external_ids))
        found, missing = _split(self.tasks, external_ids)
        if missing:
            rows = bulk.stored(UserTask, self.source_id, missing, ("id", "upstream_hash"))
            found.update((external_id, (task_id, h)) for external_id, task_id, h in rows)
        return found

    def stored_cases(self, external_ids) -> dict[str, str]:
        """external id -> stored fingerprint of the stored cases among the ids."""
        external_ids = list(external_ids)
        self._preload(len(external_ids))
        found, missing = _split(self.cases, external_ids)
        if missing:
            found.update(bulk.stored(Case, self.source_id, missing, ("upstream_hash",)))
        return found

    def wrote(self, tasks: dict[str, tuple], cases: dict[str, str]) -> None:
        """After a page's transaction: the fingerprints it stored for rows held here."""
        if self.tasks is not None:
            for external_id, entry in tasks.items():
                if external_id in self.tasks:
                    self.tasks[external_id] = entry
        if self.cases is not None:
            for external_id, fingerprint in cases.items():
                if external_id in self.cases:
                    self.cases[external_id] = fingerprint


def _split(known: dict | None, external_ids: list[str]) -> tuple[dict, list[str]]:
    """(what ``known`` holds of ``external_ids``, the ids it does not hold); with nothing
    preloaded (None), every id is missing."""
    if known is None:
        return {}, external_ids
    found = {e: known[e] for e in external_ids if e in known}
    return found, [e for e in external_ids if e not in found]
