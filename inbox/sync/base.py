"""The connector protocol: plain records in, write-backs out. Connectors never touch the database.

A connector is built from a ``SourceConfig`` (plain data copied from the Source row), yields
``Page``s of records from a cursor, and pushes outbox commands. Every failure is a
``ConnectorError`` that says whether retrying can help.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, is_dataclass
from datetime import datetime
from typing import Any

import orjson
from django.utils.dateparse import parse_datetime

from inbox.sync.http import make_client
from inbox.sync.transport import (  # noqa: F401  (re-exported: connectors import them from here)
    ConnectorError,
    SourceConfig,
    UnsupportedAction,
)

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
    """An engine's ISO 8601 timestamp, or None when absent.

    A value that is present but is no date (``2026-13-45``, a number) raises ValueError, so
    the record holding it is quarantined instead of being stored without its date.
    """
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"a date must be a string, not {type(raw).__name__} {raw!r:.60}")
    try:
        parsed = parse_datetime(raw)
    except ValueError as exc:  # well-formed, but no such day or time
        raise ValueError(f"impossible date {raw!r:.60} ({exc})") from None
    if parsed is None:
        raise ValueError(f"impossible date {raw!r:.60}")
    return parsed


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
        return fingerprint(self.__dict__)


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
        return fingerprint(self.__dict__)


@dataclass
class Rejected:
    """A record that cannot be stored faithfully: skipped and quarantined with its reason."""

    kind: str  # "case" or "task"
    external_id: str  # as the engine sent it (may be over-long, hold NUL, ...)
    reason: str
    excerpt: str = ""


# What reading an engine's item may raise when the item is malformed (missing keys, wrong types,
# impossible dates): the item is rejected, not the page.
BAD_ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


def excerpt(item: Any, limit: int = 1000) -> str:
    """A short printable rendering of an engine's raw item (NULs and bad Unicode escaped)."""
    text = json.dumps(item, default=repr, ensure_ascii=True, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raw_id(item: Any, *keys: str) -> str:
    if isinstance(item, dict):
        for key in keys or ("id", "Id", "instanceId", "sid"):
            if item.get(key) is not None:
                return item[key] if isinstance(item[key], str) else repr(item[key])
    return ""


@dataclass
class Page:
    """Records to import in one transaction, and the cursor to save with them."""

    cases: list[CaseRecord] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    # wf_run_ids whose open tasks this page lists completely: open local tasks of these runs
    # that are missing were finished upstream, and are looked up one by one.
    complete_runs: list[str] = field(default_factory=list)
    # On the last page of a walk that listed every task that can still change: the external
    # ids it listed. Open local tasks missing from it are looked up one by one.
    listed: set[str] | None = None


# Every action the inbox can take on a task or a case. A connector class declares the subset its
# engine can carry out (``task_actions``, ``case_actions``); the lifecycle and inbox/cases.py refuse
# the rest before changing anything (``Unsupported``, 409), and the UI does not offer them.
# Claim/release/assign on an engine without assignees are supported: routing lives in the inbox.
TASK_ACTIONS = frozenset({"claim", "release", "assign", "complete", "cancel", "comment"})
CASE_ACTIONS = frozenset({"pause", "resume", "close"})


@dataclass(frozen=True)
class Capabilities:
    """What one kind of engine lets the inbox do, and what to do instead of the rest."""

    label: str
    task_actions: frozenset
    case_actions: frozenset
    instead: dict  # action -> a sentence saying what to do instead

    def supports_task(self, action: str) -> bool:
        return action in self.task_actions

    def supports_case(self, action: str) -> bool:
        return action in self.case_actions

    def refusal(self, action: str, *, case: bool = False) -> str:
        """The message for an unsupported action: what cannot be done, and what to do instead."""
        target = "one instance" if case else "one task"
        verb = {"close": "close", "cancel": "cancel"}.get(action, action)
        default = f"{self.label} cannot {verb} {target} from the inbox."
        return self.instead.get(("case:" if case else "") + action, default)


class Connector:
    """Base of the per-engine connectors.

    ``task_actions`` / ``case_actions``: what the engine supports (subsets of TASK_ACTIONS and
    CASE_ACTIONS); ``instead``: per unsupported action (``"cancel"``, ``"case:pause"``), the
    message that says what to do instead.
    """

    kind = ""
    label = ""
    task_actions: frozenset = frozenset()
    case_actions: frozenset = frozenset()
    instead: dict = {}

    @classmethod
    def capabilities(cls) -> Capabilities:
        return Capabilities(
            label=cls.label or cls.kind,
            task_actions=frozenset(cls.task_actions),
            case_actions=frozenset(cls.case_actions),
            instead=dict(cls.instead),
        )

    def __init__(self, config: SourceConfig, client=None):
        self.config = config
        self.client = client or make_client(config)

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pages(self, cursor: dict) -> Iterator[Page]:
        """Yield pages from ``cursor`` on; the last page's cursor starts the next poll.

        Each page's cursor must resume the walk right after that page (a poll that fails
        goes on from the last committed page), and must differ from every earlier one in
        the walk: the poller stops a walk whose cursor repeats. Entries named ``memo_...``
        are what the connector remembers of earlier pages (not where the walk stands): the
        repeat check ignores them.
        """
        raise NotImplementedError

    @staticmethod
    def read_items(kind: str, items: Any, build, rejected: list[Rejected], *id_keys: str) -> list:
        """``build(item)`` for each item; a malformed item is added to ``rejected``."""
        if not isinstance(items, list):
            raise ConnectorError(
                f"the engine sent {type(items).__name__} where a list of {kind}s belongs",
                permanent=False,
            )
        out = []
        for item in items:
            try:
                out.append(build(item))
            except BAD_ITEM_ERRORS as exc:
                reason = f"cannot read the {kind}: {exc.__class__.__name__}: {exc}"
                rejected.append(Rejected(kind, raw_id(item, *id_keys), reason[:500], excerpt(item)))
        return out

    def push(self, action: str, payload: dict, *, idempotency_key: str) -> None:
        """Send one outbox command; raise ConnectorError when the engine refuses."""
        raise UnsupportedAction(f"{self.kind} does not support {action}")

    def fetch_task(self, external_id: str, wf_run_id: str) -> TaskRecord | None:
        """The engine's current view of one task, or None when it no longer exists."""
        return None

    def cases_of(self, record: TaskRecord) -> list[CaseRecord]:
        """The case records a connector derives from a task it fetched on its own (none
        unless its cases come from the tasks themselves)."""
        return []

    def fetch_case(self, external_id: str, process_key: str) -> CaseRecord | None:
        """The engine's current status of one instance (no stages), or None when unreadable.
        The outbox reads it to tell whether a case write-back was applied."""
        return None

    def start_case(self, params: dict) -> list[CaseRecord]:
        raise UnsupportedAction(f"{self.kind} cannot start instances from the inbox")

    def step_output(self, case_external_id: str, name: str, step_type: str) -> dict:
        raise UnsupportedAction(f"{self.kind} has no step output endpoint")


def memo(raw) -> dict:
    """Page digests from a saved cursor's ``memo_`` entry (``{request: [digest, ...]}``):
    anything else (an older cursor, a hand-edited one) is no memo at all."""
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, list) and v and isinstance(v[0], str)}


def _canonical(value: Any) -> Any:
    """json.dumps' fallback: a nested record by its fields, anything else (dates) as text."""
    if is_dataclass(value) and not isinstance(value, type):
        return value.__dict__
    return str(value)


def fingerprint(data: Any) -> str:
    """A 40-hex-digit BLAKE2b of ``data``'s canonical JSON bytes (sorted keys, no spaces).

    A record passes its own ``__dict__``: its fields are what the engine said, as read (no
    ``asdict`` deep copy; nested records and dates are rendered on the way). orjson writes the
    bytes; what it refuses (lone surrogates, keys of other types, very deep nesting) goes
    through ``json`` instead, so every record has a fingerprint.
    """
    try:
        raw = orjson.dumps(data, default=_canonical, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        raw = json.dumps(
            data, sort_keys=True, default=_canonical, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(raw, digest_size=20, usedforsecurity=False).hexdigest()
