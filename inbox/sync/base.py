"""The connector protocol: plain records in, write-backs out. Connectors never touch the database.

A connector is built from a ``SourceConfig`` (plain data copied from the Source row), yields
``Page``s of records from a cursor, and pushes outbox commands. Every failure is a
``ConnectorError`` that says whether retrying can help.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

# The form of a human step when the engine publishes none (UiPath action tasks, Cloudflare
# waitForEvent steps, strategy events without field hints); a source's watch["fields"] overrides.
APPROVAL_FIELDS = [
    {
        "name": "approved",
        "display_name": "Approve",
        "description": "",
        "type": "BOOLEAN",
        "required": True,
    },
    {
        "name": "comment",
        "display_name": "Comment",
        "description": "",
        "type": "STRING",
        "required": False,
    },
]


def parse_time(raw: str | None) -> datetime | None:
    """An engine's ISO 8601 timestamp, or None when absent."""
    return parse_datetime(raw) if raw else None


@dataclass
class SourceConfig:
    name: str
    kind: str
    base_url: str
    credentials: dict = field(default_factory=dict)
    watch: dict = field(default_factory=dict)


@dataclass
class StageRecord:
    external_id: str
    name: str
    position: int
    status: str = ""
    sla: Any = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    tasks: list = field(default_factory=list)


@dataclass
class CaseRecord:
    external_id: str
    name: str = ""
    process_key: str = ""
    status: str = "running"  # pending, running, paused, completed, failed, cancelled
    upstream_status: str = ""
    started_by: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    progress_done: int | None = None
    progress_total: int | None = None
    payload: dict = field(default_factory=dict)
    stages: list[StageRecord] | None = None  # None: not fetched this time, keep what we have
    history: list | None = None  # None: not fetched this time

    def fingerprint(self) -> str:
        return fingerprint(asdict(self))


@dataclass
class TaskRecord:
    external_id: str
    wf_run_id: str
    task_type: str
    title: str
    status: str = "UNASSIGNED"  # UNASSIGNED, ASSIGNED, DONE, CANCELLED
    case_external_id: str | None = None
    description: str = ""
    assignee: str | None = None  # the engine's username or email
    group: str | None = None  # the engine's group name
    priority: int = 0
    due_at: datetime | None = None
    created_at: datetime | None = None
    fields: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    upstream_status: str = ""
    message: str = ""  # why it ended, when the engine says

    def fingerprint(self) -> str:
        return fingerprint(asdict(self))


@dataclass
class Page:
    """Records to import in one transaction, and the cursor to save with them."""

    cases: list[CaseRecord] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)
    # wf_run_ids whose open tasks this page lists completely: open local tasks of these runs
    # that are missing were finished upstream, and are looked up one by one.
    complete_runs: list[str] = field(default_factory=list)


class ConnectorError(Exception):
    """An upstream call failed. ``permanent``: retrying the same request cannot succeed."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


class UnsupportedAction(ConnectorError):
    """The engine offers no such operation (e.g. DocuSign pausing one instance)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class Connector:
    """Base of the per-engine connectors."""

    kind = ""

    def __init__(self, config: SourceConfig, client=None):
        from inbox.sync.http import make_client

        self.config = config
        self.client = client or make_client(config)

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pages(self, cursor: dict) -> Iterator[Page]:
        """Yield pages from ``cursor`` on; the last page's cursor starts the next poll."""
        raise NotImplementedError

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        """Send one outbox command; raise ConnectorError when the engine refuses."""
        raise UnsupportedAction(f"{self.kind} does not support {action}")

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        """The engine's current view of one task, or None when it no longer exists."""
        return None

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        """The engine's current status of one instance (no stages), or None when unreadable.
        The outbox reads it to tell whether a case write-back was applied."""
        return None

    def start_case(self, params: dict) -> list[CaseRecord]:
        raise UnsupportedAction(f"{self.kind} cannot start instances from the inbox")

    def step_output(self, case_external_id: str, name: str, step_type: str) -> dict:
        raise UnsupportedAction(f"{self.kind} has no step output endpoint")


def fingerprint(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
